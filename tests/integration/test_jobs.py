"""Following jobs: status, server-sent events, results in every format, listing, cancellation."""
import concurrent.futures
import io
import json
import threading

import pytest
import trimesh

from orfeas_server import OrfeasServer

FORMATS = {"stl": "model/stl", "obj": "model/obj", "ply": "application/x-ply",
           "glb": "model/gltf-binary", "3mf": "model/3mf"}
STAGES = ["prepare", "field", "mesh"]


def load_mesh(data, fmt):
    mesh = trimesh.load(io.BytesIO(data), file_type=fmt, force="mesh", process=False)
    mesh.merge_vertices()
    return mesh


@pytest.fixture(scope="module")
def finished_job(tmp_path_factory):
    """One succeeded job on a server shared by the read-only tests of this module."""
    directory = tmp_path_factory.mktemp("shared")
    server = OrfeasServer(directory / "data", "--workers", 1, log_path=directory / "serve.log")
    server.start()
    job_id = server.submit(format="glb", resolution=64, size_mm=80)["job_id"]
    job = server.wait(job_id)
    assert job["status"] == "succeeded", job
    yield server, job
    assert server.stop() == 0, server.log()


@pytest.mark.parametrize("fmt", FORMATS)
def test_result_in_every_format(finished_job, fmt):
    server, job = finished_job
    response = server.get(f"{job['result_url']}?format={fmt}")
    assert response.status == 200, response
    assert response.headers["content-type"] == FORMATS[fmt]
    assert response.headers["content-disposition"] == \
        f'attachment; filename="{job["job_id"]}.{fmt}"'
    assert int(response.headers["content-length"]) == len(response.body)
    mesh = load_mesh(response.body, fmt)
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    assert len(mesh.faces) == job["report"]["triangles"]
    assert max(mesh.bounds[1] - mesh.bounds[0]) == pytest.approx(80, rel=1e-3)
    assert mesh.volume == pytest.approx(job["report"]["volume_mm3"], rel=1e-3)


def test_result_defaults_to_the_submitted_format(finished_job):
    server, job = finished_job
    response = server.get(job["result_url"])
    assert response.headers["content-type"] == "model/gltf-binary"
    assert response.headers["content-disposition"].endswith(f'"{job["job_id"]}.glb"')
    assert response.body[:4] == b"glTF"


def test_events_of_a_finished_job_end_at_once_with_done(finished_job):
    server, job = finished_job
    events = server.events(job["job_id"])
    assert events[-1][0] == "done"
    assert json.loads(events[-1][1])["status"] == "succeeded"


def test_status_of_a_job_has_the_documented_fields(finished_job):
    server, job = finished_job
    for field in ("job_id", "status", "stage", "progress", "eta_seconds", "queue_position",
                  "error", "result_url", "report", "created_at", "started_at", "finished_at",
                  "attempts", "max_attempts", "method", "options", "priority", "batch_id"):
        assert field in job, field
    assert job["queue_position"] is None
    assert job["eta_seconds"] in (None, 0)
    assert job["attempts"] == 0
    assert "input_path" not in job and "result_path" not in job and "submitter" not in job


def test_events_deliver_the_stages_in_order_and_end_with_done(start_server):
    server = start_server("--workers", 1)
    job_id = server.submit(resolution=384)["job_id"]
    events = server.events(job_id)
    names = [name for name, _ in events]
    assert names[-1] == "done" and names.count("done") == 1
    assert set(names[:-1]) == {"progress"}, names
    jobs = [json.loads(data) for _, data in events]
    assert all(job["job_id"] == job_id for job in jobs)
    assert jobs[-1]["status"] == "succeeded"
    statuses = [job["status"] for job in jobs]
    order = ["queued", "running", "succeeded"]
    assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses), statuses
    stages = []
    for job in jobs:
        if job["status"] == "running" and job["stage"] and job["stage"] not in stages[-1:]:
            stages.append(job["stage"])
    # In order, none twice; at this resolution field and mesh take long enough to be seen even by
    # a watcher that samples (test_events_deliver_every_stage_of_a_short_job asks for every one).
    assert stages == [stage for stage in STAGES if stage in stages], f"stages arrived as {stages}"
    assert {"field", "mesh"} <= set(stages), f"stages arrived as {stages}"
    for stage in STAGES:
        progress = [j["progress"] for j in jobs if j["status"] == "running" and j["stage"] == stage]
        assert progress == sorted(progress) and all(0 <= p <= 1 for p in progress), stage
    assert jobs[-1] == jobs[-2], "done repeats the final state"
    assert len(set(map(json.dumps, jobs[:-1]))) == len(jobs) - 1, "each progress is a change"


def test_events_deliver_every_stage_of_a_short_job(start_server):
    # A lone job waits up to the queue delay for a batch partner: time for the stream to open
    # before it starts. From then on, every stage is announced however short.
    server = start_server("--workers", 1, "--max-batch", 2, "--max-queue-delay-ms", 500)
    for _ in range(3):
        job_id = server.submit(resolution=32)["job_id"]
        jobs = [json.loads(data) for name, data in server.events(job_id) if name == "progress"]
        # A job just claimed runs with no stage until `prepare` starts; a poll may catch that.
        stages = [job["stage"] for job in jobs if job["status"] == "running" and job["stage"]]
        assert sorted(set(stages), key=stages.index) == STAGES


def test_events_of_several_watchers_agree(start_server):
    server = start_server("--workers", 1)
    job_id = server.submit(resolution=256)["job_id"]
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        streams = list(pool.map(lambda _: server.events(job_id), range(3)))
    for events in streams:
        assert events[-1][0] == "done"
        assert json.loads(events[-1][1])["status"] == "succeeded"


def test_cancel_a_queued_job(start_server):
    server = start_server("--workers", 1, "--max-batch", 1)
    blocker = server.submit(resolution=512)["job_id"]
    server.wait(blocker, statuses=("running",))
    queued = server.submit(resolution=32)["job_id"]
    assert server.job(queued)["status"] == "queued"
    assert server.job(queued)["queue_position"] == 0
    response = server.delete(f"/api/jobs/{queued}")
    assert response.status == 200, response
    assert response.json()["job_id"] == queued
    assert response.json()["status"] == "cancelled"
    again = server.delete(f"/api/jobs/{queued}")
    assert again.status == 200
    assert again.json() == response.json(), "cancelling again changes nothing"
    assert server.delete(f"/api/jobs/{blocker}").status == 200
    job = server.wait(queued)
    assert job["status"] == "cancelled" and job["started_at"] is None and job["finished_at"]
    events = server.events(queued)
    assert events[-1][0] == "done" and json.loads(events[-1][1])["status"] == "cancelled"


def test_cancel_a_running_job_stops_it_without_a_result(start_server, tmp_path):
    server = start_server("--workers", 1)
    job_id = server.submit(resolution=512)["job_id"]
    server.wait(job_id, statuses=("running",))
    response = server.delete(f"/api/jobs/{job_id}")
    assert response.status == 200, response
    assert response.json()["status"] == "cancelled"
    follow_up = server.submit(resolution=32)["job_id"]
    assert server.wait(follow_up)["status"] == "succeeded", "the worker is free again"
    job = server.job(job_id)
    assert job["status"] == "cancelled"
    assert server.get(f"/api/jobs/{job_id}/result").status == 409
    results = tmp_path / "data" / "results"
    assert not any(p.name.startswith(job_id) for p in results.iterdir()), \
        "a cancelled job leaves no result"


def test_events_of_a_cancelled_running_job_end_with_done(start_server):
    server = start_server("--workers", 1)
    job_id = server.submit(resolution=512)["job_id"]
    collected = []
    watcher = threading.Thread(target=lambda: collected.extend(server.events(job_id)))
    watcher.start()
    server.wait(job_id, statuses=("running",))
    assert server.delete(f"/api/jobs/{job_id}").status == 200
    watcher.join(120)
    assert not watcher.is_alive(), "the event stream did not end"
    assert collected[-1][0] == "done"
    assert json.loads(collected[-1][1])["status"] == "cancelled"


def test_list_filters_by_status_newest_first(start_server):
    server = start_server("--workers", 1, "--max-batch", 1)
    done = [server.submit(resolution=32)["job_id"] for _ in range(3)]
    for job_id in done:
        assert server.wait(job_id)["status"] == "succeeded"
    blocker = server.submit(resolution=512)["job_id"]
    server.wait(blocker, statuses=("running",))
    queued = [server.submit(resolution=32)["job_id"] for _ in range(2)]
    cancelled = server.submit(resolution=32)["job_id"]
    server.delete(f"/api/jobs/{cancelled}")

    def listed(query):
        response = server.get(f"/api/jobs{query}")
        assert response.status == 200, response
        return [job["job_id"] for job in response.json()["jobs"]]

    assert listed("") == [cancelled, *reversed(queued), blocker, *reversed(done)]
    assert listed("?status=succeeded") == list(reversed(done))
    assert listed("?status=queued") == list(reversed(queued))
    assert listed("?status=running") == [blocker]
    assert listed("?status=cancelled") == [cancelled]
    assert listed("?status=failed") == []
    assert listed("?status=succeeded&limit=2") == list(reversed(done))[:2]
    assert listed("?limit=1") == [cancelled]
    for job_id in [blocker, *queued]:
        server.delete(f"/api/jobs/{job_id}")


def test_eta_and_queue_position_of_waiting_jobs(start_server):
    server = start_server("--workers", 1, "--max-batch", 1)
    warmup = server.submit(resolution=64)["job_id"]
    assert server.wait(warmup)["status"] == "succeeded"
    blocker = server.submit(resolution=512)["job_id"]
    server.wait(blocker, statuses=("running",))
    waiting = server.submit(resolution=64)["job_id"]
    job = server.job(waiting)
    assert job["queue_position"] == 0
    assert job["eta_seconds"] is not None and job["eta_seconds"] >= 0, \
        "once a job of the method finished, waiting jobs have an ETA"
    running = server.job(blocker)
    assert 0 <= running["progress"] <= 1 and running["queue_position"] is None
    for job_id in (blocker, waiting):
        server.delete(f"/api/jobs/{job_id}")
