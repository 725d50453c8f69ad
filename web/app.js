// The Orfeas browser UI: choose a photo and options, submit a job, follow its progress over
// server-sent events, view the mesh, download it and read its printability report. Talks only to
// the service's own web API (docs in api.md); three.js, OrbitControls and STLLoader come from
// Debian's libjs-three, served by the same binary under /ui/.
"use strict";

const $ = (id) => document.getElementById(id);

// The options every generator takes; they have their own fields above "More options".
const COMMON_OPTIONS = ["size_mm", "resolution"];
// The methods the service documents, for when /api/generators cannot be read.
const FALLBACK_METHODS = ["inflate", "relief"];
const DEFAULT_METHOD = "inflate";
const FINAL_STATUSES = ["succeeded", "failed", "cancelled"];

// An error answer of the API: {"error":{"code","message","details"}}.
class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `the server answered ${status}`);
    this.code = error.code || `http_${status}`;
    this.details = error.details;
  }
}

// Bound beyond loopback, the server wants its web token: asked once, then kept in a same-site
// cookie, which fetch, EventSource and download links all send.
function askForToken() {
  const token = window.prompt("This server needs its web token (orfeas serve --web-token):");
  if (!token) return false;
  document.cookie = `orfeas_web_token=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
  return true;
}

async function apiFetch(path, options = {}) {
  let response = await fetch(path, options);
  if (response.status === 401 && askForToken()) response = await fetch(path, options);
  if (!response.ok) {
    let body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      // Not JSON: ApiError falls back to the status.
    }
    throw new ApiError(response.status, body);
  }
  return response;
}

async function apiJson(path, options) {
  return (await apiFetch(path, options)).json();
}

// ---- error banner ----

function describe(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  let text = error.message;
  if (error.details && typeof error.details === "object" && Object.keys(error.details).length) {
    text += ` (${JSON.stringify(error.details)})`;
  }
  return `${text} [${error.code}]`;
}

function showError(context, error) {
  const banner = $("error");
  banner.textContent = `${context}: ${describe(error)}`;
  banner.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

// ---- the form ----

const form = { generators: [], file: null };

function fillMethods(generators) {
  form.generators = generators;
  const select = $("method");
  select.replaceChildren(
    ...generators.map((g) => {
      const isDefault = g.name === DEFAULT_METHOD;
      return new Option(g.name, g.name, isDefault, isDefault);
    }));
  showMethodOptions(true);
}

function schemaOf(method) {
  const generator = form.generators.find((g) => g.name === method);
  return (generator && generator.options && generator.options.properties) || {};
}

// A field for one of the method's own options: a list for a choice ("enum"), else a number.
function optionInput(name, spec) {
  if (spec.enum) {
    const select = document.createElement("select");
    select.name = name;
    select.id = name;
    select.append(...spec.enum.map((v) => new Option(v, v, v === spec.default, v === spec.default)));
    if (spec.description) select.title = spec.description;
    return select;
  }
  const input = document.createElement("input");
  input.type = "number";
  input.name = name;
  input.id = name;
  input.step = spec.type === "integer" ? "1" : "any";
  if (spec.minimum !== undefined) input.min = spec.minimum;
  if (spec.maximum !== undefined) input.max = spec.maximum;
  if (spec.default !== undefined) input.value = spec.default;
  if (spec.description) input.title = spec.description;
  return input;
}

// Rebuilds the method's own option fields; `resetCommon` also sets size and resolution to the
// method's defaults (on first load; later the user's values stay).
function showMethodOptions(resetCommon) {
  const properties = schemaOf($("method").value);
  for (const name of COMMON_OPTIONS) {
    const spec = properties[name];
    const input = $(name);
    if (!spec) continue;
    input.min = spec.minimum ?? "";
    input.max = spec.maximum ?? "";
    input.title = spec.description || "";
    if (resetCommon || input.value === "") input.value = spec.default ?? "";
  }
  const own = Object.entries(properties).filter(([name]) => !COMMON_OPTIONS.includes(name));
  $("method-options").replaceChildren(
    ...own.map(([name, spec]) => {
      const label = document.createElement("label");
      label.append(name.replaceAll("_", " "), " ", optionInput(name, spec));
      return label;
    }));
}

function setFile(file) {
  if (!file) return;
  form.file = file;
  const preview = $("preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  $("drop-hint").hidden = true;
  $("submit").disabled = false;
}

function formData() {
  const data = new FormData();
  data.append("image", form.file, form.file.name);
  data.append("method", $("method").value);
  data.append("format", $("format").value);
  const names = [...COMMON_OPTIONS, "faces", ...Object.keys(schemaOf($("method").value))];
  for (const name of new Set(names)) {
    const input = $(name);
    if (input && input.value !== "") data.append(name, input.value);
  }
  return data;
}

async function submitJob(event) {
  event.preventDefault();
  if (!form.file) return;
  clearError();
  $("submit").disabled = true;
  try {
    const accepted = await apiJson("/api/jobs", { method: "POST", body: formData() });
    openJob(accepted.job_id);
    refreshJobs();
  } catch (error) {
    showError("The job was not accepted", error);
  } finally {
    $("submit").disabled = false;
  }
}

function setUpForm() {
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    setFile(event.dataTransfer.files[0]);
  });
  $("file").addEventListener("change", (event) => setFile(event.target.files[0]));
  $("method").addEventListener("change", () => showMethodOptions(false));
  $("job-form").addEventListener("submit", submitJob);
}

function fillFormats(formats) {
  const select = $("format");
  const chosen = select.value;
  select.replaceChildren(...formats.map((name) => new Option(name.toUpperCase(), name)));
  select.value = formats.includes(chosen) ? chosen : formats[0];
}

async function loadGenerators() {
  try {
    const answer = await apiJson("/api/generators");
    fillMethods(answer.generators);
    if (answer.formats) fillFormats(answer.formats);
  } catch (error) {
    fillMethods(FALLBACK_METHODS.map((name) => ({ name })));
    showError("Could not read the methods", error);
  }
}

// ---- the job being shown ----

// The job on screen; every asynchronous update checks it is still the one it was started for.
const shown = { id: null, events: null, poll: null };

function stopFollowing() {
  if (shown.events) shown.events.close();
  clearTimeout(shown.poll);
  shown.events = null;
  shown.poll = null;
}

function openJob(id) {
  stopFollowing();
  shown.id = id;
  history.replaceState(null, "", `#job=${encodeURIComponent(id)}`);
  $("job").hidden = false;
  $("job-id").textContent = id;
  $("viewer").hidden = true;
  $("report").hidden = true;
  $("download").hidden = true;
  $("canvas").dataset.loaded = "";
  renderStatus({ status: "queued", progress: 0 });
  follow(id);
  markShownRow();
}

// Server-sent events while the job runs; if the stream breaks, poll instead.
function follow(id) {
  const events = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
  shown.events = events;
  events.addEventListener("progress", (event) => {
    if (shown.id === id) renderStatus(JSON.parse(event.data));
  });
  events.addEventListener("done", (event) => {
    events.close();
    if (shown.id === id) finish(JSON.parse(event.data));
  });
  events.onerror = () => {
    if (shown.events !== events) return;
    events.close();
    shown.events = null;
    poll(id);
  };
}

async function poll(id) {
  if (shown.id !== id) return;
  try {
    const job = await apiJson(`/api/jobs/${encodeURIComponent(id)}`);
    if (shown.id !== id) return;
    if (FINAL_STATUSES.includes(job.status)) return finish(job);
    renderStatus(job);
  } catch (error) {
    if (shown.id !== id) return;
    showError("Could not read the job", error);
    if (error instanceof ApiError && error.code === "not_found") return;
  }
  shown.poll = setTimeout(() => poll(id), 1000);
}

function renderStatus(job) {
  const status = $("status");
  status.textContent = job.status;
  status.className = `status ${job.status}`;
  const percent = Math.round(100 * (job.progress || 0));
  $("stage").textContent = job.stage ? `stage: ${job.stage} ${percent}%` : "";
  let eta = "";
  if (job.status === "queued" && job.queue_position != null) {
    const ahead = job.queue_position;  // jobs that run before this one
    eta = ahead === 0 ? "next in the queue" : `${ahead} ahead in the queue`;
  } else if (job.status === "running" && job.eta_seconds != null) {
    eta = `about ${Math.max(1, Math.round(job.eta_seconds))} s left`;
  }
  $("eta").textContent = eta;
  const progress = $("progress");
  progress.value = job.status === "succeeded" ? 1 : job.progress || 0;
  progress.hidden = job.status === "failed" || job.status === "cancelled";
  $("cancel").hidden = FINAL_STATUSES.includes(job.status);
}

function finish(job) {
  stopFollowing();
  renderStatus(job);
  refreshJobs();
  if (job.status === "failed" && job.error) {
    showError("The job failed", new ApiError(0, { error: job.error }));
  }
  if (job.status !== "succeeded") return;
  const download = $("download");
  download.href = job.result_url || `/api/jobs/${encodeURIComponent(job.job_id)}/result`;
  download.setAttribute("download", "");
  download.textContent = "Download the mesh";
  download.hidden = false;
  renderReport(job.report);
  showMesh(job.job_id);
}

async function cancelShown() {
  const id = shown.id;
  try {
    const job = await apiJson(`/api/jobs/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (shown.id === id) finish(job);
  } catch (error) {
    showError("Could not cancel the job", error);
  }
}

// ---- printability report ----

function yesNo(value) {
  return [value ? "yes" : "no", value ? "ok" : "bad"];
}

function renderReport(report) {
  const table = $("report");
  if (!report) {
    table.hidden = true;
    return;
  }
  const number = (x, digits = 0) =>
    Number(x).toLocaleString(undefined, { maximumFractionDigits: digits });
  const rows = [
    ["Closed (watertight)", ...yesNo(report.closed)],
    ["Manifold", ...yesNo(report.manifold)],
    ["Parts", number(report.components), report.components === 1 ? "ok" : "warn"],
    ["Triangles", number(report.triangles)],
    ["Vertices", number(report.vertices)],
    ["Volume", `${number(report.volume_mm3 / 1000, 2)} cm³`],
    ["Surface area", `${number(report.area_mm2 / 100, 2)} cm²`],
    ["Size", (report.bbox_mm || []).map((x) => number(x, 1)).join(" × ") + " mm"],
  ];
  for (const warning of report.warnings || []) rows.push(["Warning", warning, "warn"]);
  table.replaceChildren(
    ...rows.map(([name, value, mark]) => {
      const row = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = name;
      td.textContent = value;
      if (mark) td.className = mark;
      row.append(th, td);
      return row;
    }));
  table.hidden = false;
}

// ---- 3D viewer ----

// A three.js scene on the canvas: the mesh standing on a print-bed grid (z up, as Orfeas writes
// it), lit from the camera, with orbit controls. Renders only when something changes.
class Viewer {
  constructor(canvas) {
    this.canvas = canvas;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.renderer.setClearColor(0xf4f5f7);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(35, 1, 0.1, 1000);
    this.camera.up.set(0, 0, 1);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8890a0, 0.55));
    const headlight = new THREE.DirectionalLight(0xffffff, 0.75);
    headlight.position.set(0.3, 0.6, 1);
    this.camera.add(headlight);
    this.scene.add(this.camera);
    this.material = new THREE.MeshStandardMaterial({
      color: 0xd9822b,
      roughness: 0.55,
      metalness: 0.05,
    });
    this.controls = new THREE.OrbitControls(this.camera, canvas);
    this.controls.addEventListener("change", () => this.requestRender());
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.mesh = null;
    this.bed = null;
  }

  resize() {
    const { clientWidth: width, clientHeight: height } = this.canvas;
    if (!width || !height) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.renderer.render(this.scene, this.camera);
    });
  }

  show(geometry) {
    if (this.mesh) {
      this.scene.remove(this.mesh, this.bed);
      this.mesh.geometry.dispose();
      this.bed.geometry.dispose();
      this.bed.material.dispose();
    }
    this.mesh = new THREE.Mesh(geometry, this.material);
    this.scene.add(this.mesh);
    geometry.computeBoundingBox();
    geometry.computeBoundingSphere();
    const box = geometry.boundingBox;
    const size = box.getSize(new THREE.Vector3());
    const bedSize = 1.4 * Math.max(size.x, size.y, 1);
    this.bed = new THREE.GridHelper(bedSize, 10, 0x9aa3b0, 0xc9ced6);
    this.bed.rotation.x = Math.PI / 2;  // GridHelper lies in x/z; our bed is x/y at z = box.min.z
    this.bed.position.set((box.min.x + box.max.x) / 2, (box.min.y + box.max.y) / 2, box.min.z);
    this.scene.add(this.bed);
    this.frame(geometry.boundingSphere);
    this.resize();
  }

  // Looks at the mesh from the front left, above, at a distance that fits it in view.
  frame(sphere) {
    const fov = (this.camera.fov * Math.PI) / 180;
    const distance = (1.15 * sphere.radius) / Math.sin(fov / 2);
    const direction = new THREE.Vector3(-0.6, -1.4, 0.8).normalize();
    this.camera.position.copy(sphere.center).addScaledVector(direction, distance);
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(sphere.center);
    this.controls.minDistance = sphere.radius * 0.2;
    this.controls.maxDistance = distance * 10;
    this.controls.update();
  }
}

let viewer = null;

async function showMesh(id) {
  try {
    const response = await apiFetch(`/api/jobs/${encodeURIComponent(id)}/result?format=stl`);
    const bytes = await response.arrayBuffer();
    if (shown.id !== id) return;
    $("viewer").hidden = false;
    if (!viewer) viewer = new Viewer($("canvas"));
    viewer.show(new THREE.STLLoader().parse(bytes));
    $("canvas").dataset.loaded = id;
  } catch (error) {
    showError("Could not show the mesh", error);
  }
}

// ---- recent jobs ----

async function refreshJobs() {
  try {
    const answer = await apiJson("/api/jobs?limit=20");
    renderJobs(answer.jobs);
  } catch (error) {
    showError("Could not list the jobs", error);
  }
}

function renderJobs(jobs) {
  const body = $("jobs").tBodies[0];
  body.replaceChildren(
    ...jobs.map((job) => {
      const row = document.createElement("tr");
      row.dataset.jobId = job.job_id;
      const created = job.created_at ? new Date(job.created_at).toLocaleString() : "";
      const cells = [created, job.method || "", job.status];
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      row.cells[2].className = `status ${job.status}`;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "small open";
      open.textContent = "Open";
      open.addEventListener("click", () => {
        clearError();
        openJob(job.job_id);
      });
      const action = document.createElement("td");
      action.append(open);
      row.append(action);
      return row;
    }));
  if (!jobs.length) {
    const row = body.insertRow();
    const cell = row.insertCell();
    cell.colSpan = 4;
    cell.textContent = "No jobs yet.";
  }
  markShownRow();
}

function markShownRow() {
  for (const row of $("jobs").tBodies[0].rows) {
    row.classList.toggle("shown", row.dataset.jobId === shown.id);
  }
}

// ---- start ----

function start() {
  setUpForm();
  $("cancel").addEventListener("click", cancelShown);
  $("refresh").addEventListener("click", refreshJobs);
  loadGenerators();
  refreshJobs();
  const linked = /^#job=(.+)$/.exec(location.hash);
  if (linked) openJob(decodeURIComponent(linked[1]));
}

start();
