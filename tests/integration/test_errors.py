"""Every error path of the API: status, error code, and the JSON error body."""
import io
import json

import pytest
from PIL import Image

from orfeas_server import b64, raw_exchange

STATUS_OF_CODE = {"bad_input": 400, "too_large": 413, "not_found": 404, "conflict": 409,
                  "unavailable": 503, "internal": 500}
UNKNOWN_ID = "0" * 32


def assert_error(response, status, code):
    assert response.status == status, response
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert STATUS_OF_CODE[code] == status
    assert isinstance(error["message"], str) and error["message"]
    return error


@pytest.mark.parametrize("document, mentions", [
    ({"image": "@@@ not base64 @@@"}, "base64"),
    ({"image": b64(b"hello, this is not a picture")}, "image"),
    ({"method": "inflate"}, "image"),
    ({"image": 12}, "image"),
    ({"image": "DUCK", "bogus_option": 1}, "bogus_option"),
    ({"image": "DUCK", "resolution": 100000}, "resolution"),
    ({"image": "DUCK", "resolution": 8}, "resolution"),
    ({"image": "DUCK", "resolution": 64.5}, "resolution"),
    ({"image": "DUCK", "size_mm": "big"}, "size_mm"),
    ({"image": "DUCK", "faces": -3}, "faces"),
    ({"image": "DUCK", "method": "sculpt"}, "sculpt"),
    ({"image": "DUCK", "format": "dwg"}, "dwg"),
    ({"image": "DUCK", "priority": "urgent"}, "priority"),
    ({"image": "DUCK", "base_mm": 1.0}, "base_mm"),  # a relief option, not an inflate one
])
def test_bad_json_submission_is_bad_input(server, duck_bytes, document, mentions):
    if document.get("image") == "DUCK":
        document = {**document, "image": b64(duck_bytes)}
    error = assert_error(server.post_json("/api/jobs", document), 400, "bad_input")
    assert mentions in (error["message"] + str(error.get("details"))).lower()


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b"null", b"", b'{"image": "\xff"}'])
def test_malformed_json_is_bad_input(server, body):
    assert_error(server.post_json("/api/jobs", body), 400, "bad_input")


def test_multipart_without_an_image_part_is_bad_input(server, duck_bytes):
    error = assert_error(server.post_multipart("/api/jobs", {"resolution": "32"},
                                               [("photo", "duck.jpg", duck_bytes)]),
                         400, "bad_input")
    assert "image" in error["message"].lower()


def test_multipart_with_bad_options_is_bad_input(server, duck_bytes):
    for fields in ({"resolution": "lots"}, {"resolution": "9999"}, {"method": "sculpt"},
                   {"format": "dwg"}, {"bogus_option": "1"}):
        assert_error(server.post_multipart("/api/jobs", fields, [("image", "d.jpg", duck_bytes)]),
                     400, "bad_input")


def test_multipart_with_a_file_that_is_not_an_image_is_bad_input(server):
    assert_error(server.post_multipart("/api/jobs", {}, [("image", "notes.txt", b"just text")]),
                 400, "bad_input")


def test_malformed_multipart_is_bad_input(server):
    response = server.request("POST", "/api/jobs", body=b"--x\r\nno headers end",
                              headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert_error(response, 400, "bad_input")


def test_unsupported_content_type_is_bad_input(server):
    response = server.request("POST", "/api/jobs", body=b"image bytes",
                              headers={"Content-Type": "text/plain"})
    assert 400 <= response.status < 500
    assert response.json()["error"]["code"] == "bad_input"


def test_batches_reject_bad_input_as_a_whole(server, duck_bytes):
    assert_error(server.post_json("/api/batches", {"images": []}), 400, "bad_input")
    assert_error(server.post_json("/api/batches", {"images": "not a list"}), 400, "bad_input")
    assert_error(server.post_json("/api/batches", {"images": [b64(duck_bytes), b64(b"junk")]}),
                 400, "bad_input")
    assert_error(server.post_multipart("/api/batches", {}, []), 400, "bad_input")
    assert server.get("/api/jobs").json()["jobs"] == [], "a rejected batch stores nothing"


def test_batch_of_more_than_32_images_is_413(server, duck_bytes):
    error = assert_error(server.post_json("/api/batches", {"images": [b64(duck_bytes)] * 33}),
                         413, "too_large")
    assert error["details"]["max_images"] == 32


def test_body_over_the_limit_is_413(start_server):
    server = start_server("--body-limit-mb", 1)
    body = b"x" * (2 * 1024 * 1024)
    head = (f"POST /api/jobs HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    status, raw = raw_exchange(server.host, server.port, head, body)
    assert status == 413, raw[:300]
    assert b'"too_large"' in raw
    assert server.get("/health/live").status == 200, "the server lives on"


def test_body_just_under_the_limit_is_read(start_server, duck_bytes):
    server = start_server("--body-limit-mb", 1)
    padding = " " * (1024 * 1024 - len(b64(duck_bytes)) - 64)
    body = '{"image": "%s", "resolution": 32}%s' % (b64(duck_bytes), padding)
    assert len(body) < 1024 * 1024
    assert server.post_json("/api/jobs", body).status == 202


def test_unknown_job_is_404_everywhere(server):
    for method, path in [("GET", f"/api/jobs/{UNKNOWN_ID}"),
                         ("GET", f"/api/jobs/{UNKNOWN_ID}/result"),
                         ("GET", f"/api/jobs/{UNKNOWN_ID}/events"),
                         ("DELETE", f"/api/jobs/{UNKNOWN_ID}")]:
        assert_error(server.request(method, path), 404, "not_found")


def test_result_before_success_is_409(start_server):
    server = start_server("--workers", 1)
    job_id = server.submit(resolution=512)["job_id"]
    assert_error(server.get(f"/api/jobs/{job_id}/result"), 409, "conflict")
    assert server.delete(f"/api/jobs/{job_id}").status == 200
    assert_error(server.get(f"/api/jobs/{job_id}/result"), 409, "conflict")


def test_result_in_an_unknown_format_is_bad_input(server):
    job_id = server.submit(resolution=32)["job_id"]
    assert server.wait(job_id)["status"] == "succeeded"
    assert_error(server.get(f"/api/jobs/{job_id}/result?format=dwg"), 400, "bad_input")


def test_cancelling_a_finished_job_is_409(server):
    job_id = server.submit(resolution=32)["job_id"]
    assert server.wait(job_id)["status"] == "succeeded"
    assert_error(server.delete(f"/api/jobs/{job_id}"), 409, "conflict")
    assert server.job(job_id)["status"] == "succeeded"


def truncated_png():
    """A PNG whose header reads (64 x 64, RGB) but whose pixels are cut off."""
    encoded = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(encoded, format="PNG")
    return encoded.getvalue()[:40]


def test_a_photo_that_fails_to_decode_fails_its_job_without_retries(server):
    response = server.post_json("/api/jobs", {"image": b64(truncated_png()), "resolution": 32})
    assert response.status == 202, response
    job = server.wait(response.json()["job_id"])
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "bad_input" and job["error"]["message"]
    assert job["attempts"] == 1, "an input error is not retried"
    assert_error(server.delete(f"/api/jobs/{job['job_id']}"), 409, "conflict")
    assert_error(server.get(f"/api/jobs/{job['job_id']}/result"), 409, "conflict")
    events = server.events(job["job_id"])
    assert events[-1][0] == "done" and json.loads(events[-1][1])["status"] == "failed"


def test_full_queue_is_503_with_retry_after(start_server, duck_bytes):
    server = start_server("--workers", 1, "--max-batch", 1, "--max-queue", 2)
    accepted, refused = [], None
    for _ in range(6):
        response = server.post_json("/api/jobs", {"image": b64(duck_bytes), "resolution": 512})
        if response.status == 503:
            refused = response
            break
        assert response.status == 202, response
        accepted.append(response.json()["job_id"])
    assert refused is not None, f"--max-queue 2 accepted {len(accepted)} jobs"
    assert 2 <= len(accepted) <= 3, "the limit counts queued jobs (a running one may not count)"
    assert_error(refused, 503, "unavailable")
    assert int(refused.headers["retry-after"]) >= 1
    batch = server.post_json("/api/batches", {"images": [b64(duck_bytes)] * 2})
    assert_error(batch, 503, "unavailable")
    for job_id in accepted:
        server.delete(f"/api/jobs/{job_id}")
    assert server.post_json("/api/jobs", {"image": b64(duck_bytes), "resolution": 32}).status == 202


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/api/nothing-here", 404),
    ("GET", "/api/jobs/x/y/z", 404),
    ("GET", "/no/such/page", 404),
    ("PUT", "/api/jobs", 405),
    ("PATCH", "/api/jobs/abc", 405),
    ("POST", "/health/live", 405),
    ("DELETE", "/api/batches", 405),
])
def test_unknown_routes_and_methods(server, method, path, status):
    response = server.request(method, path, body=b"" if method != "GET" else None)
    assert response.status == status, response
    if status == 405:
        assert response.headers["allow"]
    assert response.json()["error"]["code"] in ("not_found", "bad_input")


@pytest.mark.parametrize("query", ["status=sleeping", "limit=-1", "limit=many"])
def test_bad_list_query_is_bad_input(server, query):
    assert_error(server.get(f"/api/jobs?{query}"), 400, "bad_input")
