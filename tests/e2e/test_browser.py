"""The browser UI end to end: headless Chromium drives the page that a real `orfeas serve` serves.

It uploads a photo, follows the job's server-sent progress to the end, checks that the 3D viewer
draws the mesh and responds to the mouse, downloads the mesh through the page and reads it with
trimesh, finds the job among the recent ones and opens it again, and shows the API's own message
for a bad upload. Chromium and chromedriver are Debian's; nothing is fetched from the internet.
"""
import base64
import io
import json
import re
import selectors
import signal
import subprocess
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest
import trimesh
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ORFEAS, SOURCE_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DUCK = SOURCE_DIR / "examples" / "duck.jpg"
NOT_AN_IMAGE = SOURCE_DIR / "tests" / "data" / "images" / "bad_text.txt"
JOB_TIMEOUT_S = 240


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `orfeas serve` on a free port; yields its base URL."""
    data = tmp_path_factory.mktemp("serve")
    log_path = data / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [ORFEAS, "serve", "--port", "0", "--data", str(data / "data")],
            stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        line = proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"orfeas: listening on (http://\S+:\d+)\n", line)
        assert match, f"unexpected first line {line!r}; log:\n{log_path.read_text()}"
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, f"orfeas serve exited {code}; log:\n{log_path.read_text()}"


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1100", "--use-angle=swiftshader",
                     "--enable-unsafe-swiftshader", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()


def wait(driver, condition, timeout=30, message=""):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)


def by_id(driver, element_id):
    return driver.find_element(By.ID, element_id)


def open_page(driver, url):
    driver.get(url)
    wait(driver, lambda d: len(Select(by_id(d, "method")).options) >= 2, message="no methods")


# Records every server-sent event the page receives, so the test sees the whole stream however
# fast the job runs.
RECORD_EVENTS = """
window.seenEvents = [];
const Original = window.EventSource;
window.EventSource = class extends Original {
  addEventListener(type, listener, options) {
    super.addEventListener(type, (event) => {
      window.seenEvents.push({type, data: event.data});
      listener(event);
    }, options);
  }
};
"""


def canvas_pixels(driver):
    png = by_id(driver, "canvas").screenshot_as_png
    return png, np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)


def drawn(driver):
    """The canvas screenshot and its pixels once it is not a blank background, else None."""
    png, pixels = canvas_pixels(driver)
    return (png, pixels) if pixels.std() > 10 else None


def changed_from(before):
    """A wait condition: (pixels,) of the canvas once they differ visibly from `before`."""
    def condition(driver):
        _, pixels = canvas_pixels(driver)
        if pixels.shape != before.shape or np.abs(pixels - before).max(axis=2).mean() > 1.0:
            return (pixels,)
        return None
    return condition


def set_value(element, value):
    element.clear()
    element.send_keys(str(value))


def test_photo_to_mesh_in_the_browser(server, browser, downloads, tmp_path):
    open_page(browser, server)
    browser.get_log("browser")  # reading the log empties it
    browser.execute_script(RECORD_EVENTS)
    assert Select(by_id(browser, "method")).first_selected_option.text == "inflate"
    assert by_id(browser, "size_mm").get_attribute("value") == "100"  # the schema's default

    by_id(browser, "file").send_keys(str(DUCK))
    wait(browser, lambda d: d.find_element(By.ID, "submit").is_enabled())
    assert by_id(browser, "preview").is_displayed()
    set_value(by_id(browser, "size_mm"), 60)
    set_value(by_id(browser, "resolution"), 96)
    Select(by_id(browser, "format")).select_by_value("3mf")
    by_id(browser, "submit").click()

    # Progress: the status line follows the event stream until the job succeeds.
    wait(browser, lambda d: d.find_element(By.ID, "status").text in ("succeeded", "failed"),
         timeout=JOB_TIMEOUT_S, message="the job did not finish")
    assert by_id(browser, "status").text == "succeeded", by_id(browser, "error").text
    job_id = by_id(browser, "job-id").text
    assert float(by_id(browser, "progress").get_attribute("value")) == 1
    events = browser.execute_script("return window.seenEvents")
    kinds = [event["type"] for event in events]
    assert "progress" in kinds and kinds[-1] == "done", kinds
    jobs = [json.loads(event["data"]) for event in events]
    assert {job["job_id"] for job in jobs} == {job_id}
    assert jobs[-1]["status"] == "succeeded"
    assert any(job["stage"] for job in jobs), "no event named a stage"

    # The viewer draws the mesh: the canvas is far from a blank background.
    wait(browser, lambda d: d.find_element(By.ID, "canvas").get_attribute("data-loaded") == job_id,
         message="the viewer did not load the mesh")
    png, before = wait(browser, drawn, timeout=20, message="the canvas stays blank")
    (tmp_path / "viewer.png").write_bytes(png)
    browser.save_screenshot(str(tmp_path / "page.png"))
    print(f"viewer screenshot: {tmp_path / 'viewer.png'}, page: {tmp_path / 'page.png'}")
    background = before[2, 2]
    off_background = np.abs(before - background).max(axis=2) > 30
    assert 0.03 < off_background.mean() < 0.9, f"{off_background.mean():.1%} of pixels drawn"

    # Rotate with a drag, then zoom with the wheel: each changes the picture.
    canvas = by_id(browser, "canvas")
    ActionChains(browser).move_to_element(canvas).click_and_hold().move_by_offset(120, 40) \
        .release().perform()
    (rotated,) = wait(browser, changed_from(before), message="dragging did not rotate the view")
    ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(canvas), 0, -400).perform()
    wait(browser, changed_from(rotated), message="the wheel did not zoom")

    # The printability report, as the API gives it.
    report = json.load(urllib.request.urlopen(f"{server}/api/jobs/{job_id}"))["report"]
    table = by_id(browser, "report")
    assert table.is_displayed()
    rows = {row.find_element(By.TAG_NAME, "th").text: row.find_element(By.TAG_NAME, "td").text
            for row in table.find_elements(By.TAG_NAME, "tr")}
    assert rows["Closed (watertight)"] == "yes" and rows["Manifold"] == "yes"
    assert rows["Triangles"].replace(",", "") == str(report["triangles"])

    # Download through the page's link: a closed mesh in the chosen format and size.
    link = by_id(browser, "download")
    assert link.is_displayed()
    link.click()
    wanted = downloads / f"{job_id}.3mf"
    wait(browser, lambda d: wanted.exists() and wanted.stat().st_size > 0, timeout=60,
         message=f"no download; found {sorted(p.name for p in downloads.iterdir())}")
    mesh = trimesh.load(wanted, file_type="3mf", force="mesh", process=False)
    mesh.merge_vertices()
    assert len(mesh.faces) == report["triangles"]
    assert mesh.is_watertight and mesh.volume > 0
    assert max(mesh.extents) == pytest.approx(60, rel=1e-3)

    # Recent jobs list it; opening it from there after a reload shows the mesh again.
    open_page(browser, server)
    row_selector = f'tr[data-job-id="{job_id}"]'
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row_selector))[0]
    assert "succeeded" in row.text and "inflate" in row.text
    row.find_element(By.CSS_SELECTOR, "button.open").click()
    wait(browser, lambda d: d.find_element(By.ID, "canvas").get_attribute("data-loaded") == job_id,
         message="opening the job from the list did not show its mesh")
    assert by_id(browser, "status").text == "succeeded"

    # No script error, failed load or Content-Security-Policy violation on the way.
    problems = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not problems, problems


def test_a_dropped_image_is_taken(server, browser):
    open_page(browser, server)
    browser.execute_script("""
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "duck.jpg", {type: "image/jpeg"}));
        document.getElementById("drop").dispatchEvent(
            new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    """, base64.b64encode(DUCK.read_bytes()).decode())
    wait(browser, lambda d: d.find_element(By.ID, "submit").is_enabled())
    preview = by_id(browser, "preview")
    wait(browser, lambda d: preview.get_property("naturalWidth") > 0, message="no preview")


# Adds a method "choosy" with a choice option to what /api/generators answers, as a build whose
# hunyuan3d method has several models configured would.
CHOICE_METHOD = """
const realFetch = window.fetch;
window.fetch = async (input, init) => {
  const answer = await realFetch(input, init);
  if (!String(input).endsWith("/api/generators")) return answer;
  const listed = await answer.json();
  const common = listed.generators[0].options.properties;
  listed.generators.push({name: "choosy", options: {type: "object", properties: {
    resolution: common.resolution, size_mm: common.size_mm,
    model: {type: "string", enum: ["small", "large"], default: "large", description: "which"}}}});
  return new Response(JSON.stringify(listed), {headers: {"Content-Type": "application/json"}});
};
"""


def test_a_choice_option_is_a_list(server, browser):
    script = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                     {"source": CHOICE_METHOD})
    try:
        open_page(browser, server)
        Select(by_id(browser, "method")).select_by_value("choosy")
        model = Select(wait(browser, lambda d: d.find_element(By.ID, "model")))
        assert [option.get_property("label") for option in model.options] == ["small", "large"]
        assert model.first_selected_option.get_property("value") == "large"
        Select(by_id(browser, "method")).select_by_value("inflate")
        wait(browser, lambda d: not d.find_elements(By.ID, "model"))
        assert by_id(browser, "depth").get_attribute("type") == "number"
    finally:
        browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                                {"identifier": script["identifier"]})


def api_error_for(server, path):
    """The error message the API itself gives for uploading `path`."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; "
            f"filename=\"{path.name}\"\r\nContent-Type: text/plain\r\n\r\n").encode()
    body += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{server}/api/jobs", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request)
    assert answer.value.code == 400
    return json.load(answer.value)["error"]["message"]


def test_the_api_error_message_is_shown(server, browser):
    expected = api_error_for(server, NOT_AN_IMAGE)
    open_page(browser, server)
    by_id(browser, "file").send_keys(str(NOT_AN_IMAGE))
    wait(browser, lambda d: d.find_element(By.ID, "submit").is_enabled())
    by_id(browser, "submit").click()
    banner = wait(browser, lambda d: d.find_element(By.ID, "error").is_displayed()
                  and d.find_element(By.ID, "error"))
    assert expected in banner.text
    assert "bad_input" in banner.text
    assert not by_id(browser, "job").is_displayed(), "no job may be shown for a refused upload"
