"""Running the service: health, metrics, the generator list, the UI, shutdown and restarts."""
import contextlib
import io
import re
import sqlite3
import subprocess
import time

import pytest
import trimesh

from orfeas_server import ORFEAS


def test_health(server):
    assert server.get("/health/live").status == 200
    assert server.get("/health/ready").status == 200


def test_generators_publish_their_option_schemas(server):
    response = server.get("/api/generators")
    assert response.status == 200
    generators = {g["name"]: g["options"] for g in response.json()["generators"]}
    assert {"inflate", "relief"} <= set(generators)
    for schema in generators.values():
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert schema["properties"]["resolution"]["type"] == "integer"
    for name in ("inflate", "relief"):
        resolution = generators[name]["properties"]["resolution"]
        assert resolution["minimum"] == 16 and resolution["maximum"] == 512
        assert resolution["default"] == 192
    assert "depth" in generators["inflate"]["properties"]
    assert "relief_mm" in generators["relief"]["properties"]


def test_browser_ui_is_served(server):
    response = server.get("/")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert b"<html" in response.body.lower()


def metric_samples(text):
    """{(name, frozenset(labels)): value} from the Prometheus text format."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert match, f"malformed sample line {line!r}"
        name, labels, value = match.groups()
        pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def find(samples, name, **labels):
    wanted = set(labels.items())
    return {key: value for key, value in samples.items()
            if key[0] == name and wanted <= set(key[1])}


def job_rows(db_path):
    """Every row of the jobs table, read straight from the service's SQLite file."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        return {row["id"]: dict(row) for row in db.execute("SELECT * FROM jobs")}


def test_metrics_cover_jobs_queue_batches_stages_and_requests(server):
    job_id = server.submit(resolution=32)["job_id"]
    assert server.wait(job_id)["status"] == "succeeded"
    server.get("/api/jobs/does-not-exist")
    response = server.get("/metrics")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.body.decode()
    samples = metric_samples(text)

    jobs_by_state = {dict(k[1])["status"]: v for k, v in find(samples, "orfeas_jobs").items()}
    assert set(jobs_by_state) == {"queued", "running", "succeeded", "failed", "cancelled"}
    assert jobs_by_state["succeeded"] >= 1 and jobs_by_state["queued"] == 0
    assert find(samples, "orfeas_queue_depth"), "queue depth gauge"
    assert find(samples, "orfeas_batch_size_count"), "batch size histogram"
    assert sum(find(samples, "orfeas_batch_size_count").values()) >= 1
    for stage in ("prepare", "field", "mesh"):
        counts = find(samples, "orfeas_stage_duration_seconds_count", stage=stage)
        assert sum(counts.values()) >= 1, f"stage latency histogram for {stage}"
    submitted = find(samples, "orfeas_http_requests_total", route="/api/jobs", status="202")
    assert sum(submitted.values()) == 1
    assert sum(find(samples, "orfeas_http_requests_total", route="/api/jobs/{id}").values()) >= 2
    assert find(samples, "orfeas_http_request_duration_seconds_bucket", route="/api/jobs/{id}")


def test_sigterm_lets_running_jobs_finish_within_the_grace(start_server, tmp_path):
    server = start_server("--workers", 1, "--shutdown-grace-seconds", 120)
    job_id = server.submit(resolution=384)["job_id"]
    server.wait(job_id, statuses=("running",))
    assert server.stop() == 0, server.log()
    row = job_rows(tmp_path / "data" / "orfeas.db")[job_id]
    assert row["status"] == "succeeded" and row["attempts"] == 0, row
    assert (tmp_path / "data" / row["result_path"]).is_file()


def test_sigterm_past_the_grace_requeues_running_jobs(start_server, tmp_path):
    options = ("--workers", 1, "--shutdown-grace-seconds", 0)
    server = start_server(*options)
    running = server.submit(resolution=512)["job_id"]
    server.wait(running, statuses=("running",))
    queued = [server.submit(resolution=48)["job_id"] for _ in range(2)]
    assert server.stop() == 0, server.log()
    rows = job_rows(tmp_path / "data" / "orfeas.db")
    assert rows[running]["status"] == "queued", "given back, not lost"
    assert rows[running]["attempts"] == 1 and rows[running]["error_code"] == "cancelled"
    assert [rows[j]["status"] for j in queued] == ["queued", "queued"]

    server = start_server(*options, data=tmp_path / "data")
    for job_id in [running, *queued]:
        job = server.wait(job_id)
        assert job["status"] == "succeeded", job
        assert job["error"] is None
        assert server.get(f"/api/jobs/{job_id}/result").status == 200


def test_sigterm_refuses_new_connections_and_readiness_is_up_while_serving(server):
    assert server.get("/health/ready").status == 200
    assert server.stop() == 0
    with pytest.raises(OSError):
        server.get("/health/live", timeout=5)


def test_kill_9_while_jobs_run_then_restart_finishes_every_job_exactly_once(start_server,
                                                                           tmp_path):
    data = tmp_path / "data"
    options = ("--workers", 2, "--max-batch", 2, "--lease-seconds", 2)
    server = start_server(*options)
    job_ids = [server.submit(resolution=r, size_mm=50)["job_id"]
               for r in (256, 288, 320, 256, 288, 320, 256, 288)]
    server.wait(job_ids[0], statuses=("succeeded",))
    while not server.get("/api/jobs?status=running").json()["jobs"]:
        pass  # between two batches: the next claim comes at once, with six jobs still queued
    server.kill()

    before = job_rows(data / "orfeas.db")
    assert set(before) == set(job_ids)
    interrupted = {i for i, row in before.items() if row["status"] == "running"}
    finished_before = {i for i, row in before.items() if row["status"] == "succeeded"}
    assert interrupted, "the kill must catch jobs while they run"
    assert finished_before, "and some already done"

    server = start_server(*options, data=data)
    jobs = {job_id: server.wait(job_id) for job_id in job_ids}
    assert server.stop() == 0, server.log()

    after = job_rows(data / "orfeas.db")
    assert len(after) == len(job_ids), "no job lost or duplicated"
    for job_id, job in jobs.items():
        row = after[job_id]
        assert job["status"] == "succeeded", job
        assert row["status"] == "succeeded"
        # Each claim of a job either counted a failed attempt or was its one success.
        assert row["lease_token"] == row["attempts"] + 1, row
        if job_id in interrupted:
            assert job["attempts"] >= 1, f"the killed attempt of {job_id} must count: {job}"
        if job_id in finished_before:
            assert row["finished_at"] == before[job_id]["finished_at"], "done once, never redone"
            assert row["lease_token"] == before[job_id]["lease_token"]
            assert job["attempts"] == 0
    results = sorted(p.name for p in (data / "results").iterdir() if not p.name.startswith("."))
    assert results == sorted(f"{job_id}.ply" for job_id in job_ids), "one result per job"

    server = start_server(*options, data=data)
    for job_id, job in jobs.items():
        response = server.get(f"/api/jobs/{job_id}/result?format=ply")
        assert response.status == 200, response
        mesh = trimesh.load(io.BytesIO(response.body), file_type="ply", force="mesh")
        assert mesh.is_watertight and len(mesh.faces) == job["report"]["triangles"]
        assert max(mesh.bounds[1] - mesh.bounds[0]) == pytest.approx(50, rel=1e-3)
    probe = server.submit(resolution=32)["job_id"]
    assert server.wait(probe)["status"] == "succeeded"
    assert server.stop() == 0
    assert {i: r for i, r in job_rows(data / "orfeas.db").items() if i != probe} == after, \
        "a restart with nothing to do changes no job"


def test_a_job_killed_on_every_attempt_fails_after_max_attempts(start_server, tmp_path):
    data = tmp_path / "data"
    options = ("--workers", 1, "--max-attempts", 2, "--lease-seconds", 2)
    server = start_server(*options)
    job_id = server.submit(resolution=512)["job_id"]
    for attempt in range(2):
        # Running in this process: each restart first re-queues the killed attempt.
        server.wait(job_id, statuses=("running",), attempts=attempt)
        server.kill()
        server = start_server(*options, data=data)
    job = server.wait(job_id)
    assert job["status"] == "failed", job
    assert job["attempts"] == 2 and job["max_attempts"] == 2
    assert job["error"]["code"] == "internal" and job["error"]["message"]
    assert server.get(f"/api/jobs/{job_id}/result").status == 409


def test_retention_removes_old_finished_jobs_and_their_files(start_server, tmp_path):
    data = tmp_path / "data"
    server = start_server("--workers", 1, "--max-batch", 1, "--retention-hours", 0.001)  # 3.6 s
    done = server.submit(resolution=32)["job_id"]
    assert server.wait(done)["status"] == "succeeded"
    assert server.get(f"/api/jobs/{done}/result?format=obj").status == 200  # a cached conversion
    blocker = server.submit(resolution=512)["job_id"]
    server.wait(blocker, statuses=("running",))
    queued = server.submit(resolution=32)["job_id"]
    row = job_rows(data / "orfeas.db")[done]
    files_of_done = {data / row["input_path"], data / row["result_path"],
                     *(data / "results").glob(f"{done}.*")}
    assert all(p.is_file() for p in files_of_done) and len(files_of_done) >= 3, files_of_done

    end = time.monotonic() + 60
    while server.get(f"/api/jobs/{done}").status != 404:
        assert time.monotonic() < end, f"job {done} was never removed\n{server.log()}"
        time.sleep(0.2)
    assert not any(p.exists() for p in files_of_done), "its photo and meshes go with it"
    assert server.get(f"/api/jobs/{done}/result").status == 404
    for job_id in (blocker, queued):
        assert server.job(job_id)["status"] in ("running", "queued", "succeeded"), \
            "unfinished jobs are kept"
    server.delete(f"/api/jobs/{blocker}")
    server.delete(f"/api/jobs/{queued}")


def test_retention_0_keeps_finished_jobs(start_server, tmp_path):
    server = start_server("--workers", 1, "--retention-hours", 0)
    job_id = server.submit(resolution=32)["job_id"]
    assert server.wait(job_id)["status"] == "succeeded"
    assert server.stop() == 0
    server = start_server("--workers", 1, "--retention-hours", 0, data=tmp_path / "data")
    assert server.job(job_id)["status"] == "succeeded"
    assert server.get(f"/api/jobs/{job_id}/result").status == 200


@pytest.mark.parametrize("args", [("--workers", "-1"), ("--max-batch", "0"), ("--port", "70000"),
                                  ("--lease-seconds", "1"), ("--no-such-flag",)])
def test_bad_arguments_exit_2_without_listening(tmp_path, args):
    proc = subprocess.run([ORFEAS, "serve", "--port", "0", "--data", str(tmp_path / "data"), *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc
    assert "listening" not in proc.stdout
    assert proc.stderr


def test_a_web_token_guards_the_web_api_but_not_health(start_server):
    server = start_server("--web-token", "s3cret-token")
    refused = server.get("/api/jobs")
    assert refused.status == 401 and refused.error_code() == "unauthorized"
    assert refused.headers["www-authenticate"] == "Bearer"
    assert server.get("/api/jobs", headers={"Authorization": "Bearer wrong"}).status == 401
    assert server.get("/metrics").status == 401
    bearer = {"Authorization": "Bearer s3cret-token"}
    assert server.get("/api/jobs", headers=bearer).status == 200
    # The browser UI keeps the token in a cookie, so its event streams and downloads carry it.
    cookie = {"Cookie": "orfeas_web_token=s3cret-token"}
    assert server.get("/api/generators", headers=cookie).status == 200
    assert server.submit(headers=bearer, resolution=32)["status"] == "queued"
    assert server.get("/health/live").status == 200
    assert server.get("/").status == 200  # the page itself; it asks for the token
