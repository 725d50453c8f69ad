"""Submitting work: JSON and multipart jobs, batches, options and idempotency keys."""
import concurrent.futures

from orfeas_server import b64

QUICK = {"resolution": 32, "faces": 2000}


def assert_accepted(response, server):
    assert response.status == 202, f"{response}\n{server.log()}"
    body = response.json()
    job_id = body["job_id"]
    assert body["status"] == "queued"
    assert body["status_url"] == f"/api/jobs/{job_id}"
    assert body["result_url"] == f"/api/jobs/{job_id}/result"
    return body


def test_json_job_runs_to_success_with_its_options(server, duck_bytes):
    response = server.post_json("/api/jobs", {"image": b64(duck_bytes), "method": "relief",
                                              "format": "obj", "size_mm": 42.5, "priority": 3,
                                              **QUICK})
    job_id = assert_accepted(response, server)["job_id"]
    job = server.wait(job_id)
    assert job["status"] == "succeeded", job
    assert job["method"] == "relief"
    assert job["options"]["size_mm"] == 42.5
    assert job["options"]["resolution"] == 32
    assert job["priority"] == 3
    assert job["progress"] == 1
    assert job["error"] is None
    assert job["report"]["closed"] and job["report"]["triangles"] > 0
    assert max(job["report"]["bbox_mm"]) == 42.5
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    assert job["result_url"] == f"/api/jobs/{job_id}/result"


def test_image_as_a_data_url(server, duck_bytes):
    image = "data:image/jpeg;base64," + b64(duck_bytes)
    job_id = assert_accepted(server.post_json("/api/jobs", {"image": image, **QUICK}),
                             server)["job_id"]
    assert server.wait(job_id)["status"] == "succeeded"


def test_defaults_are_inflate_and_stl(server, duck_bytes):
    job_id = assert_accepted(server.post_json("/api/jobs", {"image": b64(duck_bytes)}),
                             server)["job_id"]
    job = server.wait(job_id)
    assert job["status"] == "succeeded", job
    assert job["method"] == "inflate"
    assert job["options"]["resolution"] == 192 and job["options"]["size_mm"] == 100
    result = server.get(f"/api/jobs/{job_id}/result")
    assert result.status == 200
    assert result.headers["content-type"] == "model/stl"


def test_multipart_job_takes_options_as_fields(server, duck_bytes):
    response = server.post_multipart("/api/jobs", {"method": "inflate", "size_mm": "60",
                                                   "resolution": "40", "format": "ply"},
                                     [("image", "duck.jpg", duck_bytes)])
    job_id = assert_accepted(response, server)["job_id"]
    job = server.wait(job_id)
    assert job["status"] == "succeeded", job
    assert job["options"]["resolution"] == 40
    assert max(job["report"]["bbox_mm"]) == 60
    assert server.get(f"/api/jobs/{job_id}/result").headers["content-type"] == "application/x-ply"


def test_json_batch_shares_a_batch_id(server, duck_bytes):
    response = server.post_json("/api/batches", {"images": [b64(duck_bytes)] * 3, **QUICK})
    assert response.status == 202, response
    body = response.json()
    assert len(body["job_ids"]) == 3 and len(set(body["job_ids"])) == 3
    for job_id in body["job_ids"]:
        job = server.wait(job_id)
        assert job["status"] == "succeeded", job
        assert job["batch_id"] == body["batch_id"]
        assert job["options"]["resolution"] == 32


def test_multipart_batch_takes_several_image_parts(server, duck_bytes):
    response = server.post_multipart("/api/batches", {"resolution": "32", "method": "relief"},
                                     [("image", f"duck{i}.jpg", duck_bytes) for i in range(2)])
    assert response.status == 202, response
    body = response.json()
    assert len(body["job_ids"]) == 2
    for job_id in body["job_ids"]:
        job = server.wait(job_id)
        assert job["status"] == "succeeded", job
        assert job["method"] == "relief" and job["batch_id"] == body["batch_id"]


def test_same_idempotency_key_gives_the_same_job(server, duck_bytes):
    key = {"Idempotency-Key": "order-17"}
    first = assert_accepted(server.post_json("/api/jobs", {"image": b64(duck_bytes), **QUICK}, key),
                            server)
    again = server.post_json("/api/jobs", {"image": b64(duck_bytes), **QUICK}, key)
    assert again.status == 202
    assert again.json()["job_id"] == first["job_id"]
    assert first["created"] is True and again.json()["created"] is False
    multipart_again = server.post_multipart("/api/jobs", {"resolution": "32"},
                                            [("image", "duck.jpg", duck_bytes)], key)
    assert multipart_again.json()["job_id"] == first["job_id"]
    other = server.post_json("/api/jobs", {"image": b64(duck_bytes), **QUICK},
                             {"Idempotency-Key": "order-18"})
    assert other.json()["job_id"] != first["job_id"]
    without_key = server.submit(**QUICK)
    assert without_key["job_id"] not in (first["job_id"], other.json()["job_id"])
    listed = server.get("/api/jobs?limit=100").json()["jobs"]
    assert len(listed) == 3


def test_idempotency_key_survives_a_restart(start_server, tmp_path):
    server = start_server("--workers", 1)
    key = {"Idempotency-Key": "survives-restart"}
    first = server.submit(headers=key, **QUICK)["job_id"]
    assert server.wait(first)["status"] == "succeeded"
    assert server.stop() == 0
    server = start_server("--workers", 1, data=tmp_path / "data")
    assert server.submit(headers=key, **QUICK)["job_id"] == first
    assert server.job(first)["status"] == "succeeded"


def test_priority_is_kept_and_higher_runs_first(start_server):
    server = start_server("--workers", 1, "--max-batch", 1)
    blocker = server.submit(resolution=512)["job_id"]
    server.wait(blocker, statuses=("running",))
    low = server.submit(priority=0, **QUICK)["job_id"]
    high = server.submit(priority=5, **QUICK)["job_id"]
    assert server.job(high)["queue_position"] == 0
    assert server.job(low)["queue_position"] == 1
    assert server.delete(f"/api/jobs/{blocker}").status == 200
    low_job, high_job = server.wait(low), server.wait(high)
    assert high_job["started_at"] <= low_job["started_at"]


def test_concurrent_submissions_with_one_key_make_one_job(server, duck_bytes):
    body = {"image": b64(duck_bytes), **QUICK}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(
            lambda _: server.post_json("/api/jobs", body, {"Idempotency-Key": "raced"}), range(8)))
    assert {r.status for r in responses} == {202}, responses
    assert len({r.json()["job_id"] for r in responses}) == 1
    assert len(server.get("/api/jobs").json()["jobs"]) == 1


def test_batch_with_an_idempotency_key_is_submitted_once(server, duck_bytes):
    body = {"images": [b64(duck_bytes)] * 2, **QUICK}
    key = {"Idempotency-Key": "batch-5"}
    first = server.post_json("/api/batches", body, key).json()
    again = server.post_json("/api/batches", body, key)
    assert again.status == 202
    assert again.json()["job_ids"] == first["job_ids"]
    assert len(server.get("/api/jobs").json()["jobs"]) == 2


def test_idempotency_key_must_be_short_printable_text(server, duck_bytes):
    for key in ("x" * 201, "has space"):
        response = server.post_json("/api/jobs", {"image": b64(duck_bytes)},
                                    {"Idempotency-Key": key})
        assert response.status == 400 and response.error_code() == "bad_input", response
