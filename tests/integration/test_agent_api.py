"""The signed agent API (docs/SIGNING.md, docs/API.md "The agent API") over real HTTP: agents made
with the real `orfeas agents` CLI, requests signed with clients/python/orfeas_agent.py, the curl
script and `orfeas sign`, and the audit trail checked with `orfeas audit verify`.

Every failed authentication counts against the client address (20 a minute, then 429), and every
test here calls from 127.0.0.1, so tests that fail to authenticate get a server of their own."""
import io
import json
import os
import re
import shutil
import subprocess
import time

import pytest
import trimesh

from agents import (UNAUTHORIZED, add_agent, agents, audit_lines, client, headers_for, orfeas,
                    orfeas_agent, poll, send)
from orfeas_server import DUCK, ORFEAS, SOURCE_DIR, OrfeasServer, b64

QUICK = {"resolution": 32, "faces": 2000}
SLOW = {"resolution": 512}  # runs long enough to be queued or running while a test looks
HIGH_RATE = ("--rate", "100000/min")
AUDIT_KEYS = {"seq", "time", "request_id", "agent_id", "api_key", "client_address", "method",
              "path", "operation", "outcome", "reason", "status", "job_id", "nonce", "prev"}
RATE_LIMIT = re.compile(r'"agent";r=(\d+);t=(\d+)')


def image_body(**options):
    return json.dumps({"image": b64(DUCK.read_bytes()), **options}).encode()


def submit(server, agent, **options):
    return send(server, agent, "POST", "/api/agent/generate-3d", image_body(**options))


def submitted(server, agent, **options):
    """Submits one photo as `agent`; its job id."""
    response = submit(server, agent, **options)
    assert response.status == 202, f"{response}\n{server.log()}"
    return response.json()["job_id"]


def status(server, agent, job_id, **kwargs):
    return send(server, agent, "GET", f"/api/agent/status/{job_id}", **kwargs)


def load_stl(data):
    return trimesh.load(io.BytesIO(data), file_type="stl", force="mesh")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One server for the tests whose requests all authenticate, with its agents added first."""
    directory = tmp_path_factory.mktemp("agents")
    data = directory / "data"
    made = {
        "main": add_agent(data, "main", *HIGH_RATE),
        "other": add_agent(data, "other", *HIGH_RATE),
        "watcher": add_agent(data, "watcher", "--ops", "query_status", *HIGH_RATE),
        "net10": add_agent(data, "net10", "--ip", "10.0.0.0/8", *HIGH_RATE),
        "loopback": add_agent(data, "loopback", "--ip", "127.0.0.0/8", *HIGH_RATE),
        "capped": add_agent(data, "capped", "--max-jobs", "1", *HIGH_RATE),
        "limited": add_agent(data, "limited", "--rate", "3/min"),
    }
    server = OrfeasServer(data, "--workers", 2, log_path=directory / "serve.log").start()
    yield server, made
    assert server.stop() == 0, server.log()


@pytest.fixture(scope="module")
def finished(shared):
    """A job of agent "main" that has succeeded, on the shared server."""
    server, made = shared
    job_id = submitted(server, made["main"], **QUICK)
    job = client(server, made["main"]).wait(job_id, timeout=240, interval=0.05)
    assert job["status"] == "succeeded", f"{job}\n{server.log()}"
    return job_id


@pytest.fixture
def own(start_server, tmp_path):
    """own(name=[options], ...): a server of the test's own with those agents, added before it
    starts; returns (server, {name: agent})."""
    def _make(**specs):
        data = tmp_path / "data"
        made = {name: add_agent(data, name, *options) for name, options in specs.items()}
        return start_server("--workers", 1, data=data), made
    return _make


def assert_unauthorized(response):
    assert response.status == 401, response
    assert response.json() == UNAUTHORIZED


# --- accepted requests ----------------------------------------------------------------------------

def test_valid_request_runs_a_job_whose_result_is_an_stl(shared):
    server, made = shared
    response = submit(server, made["main"], **QUICK)
    assert response.status == 202, response
    body = response.json()
    job_id = body["job_id"]
    assert body["agent_id"] == made["main"]["agent_id"]
    assert body["status"] == "queued" and body["created"] is True
    assert body["status_url"] == f"/api/agent/status/{job_id}"
    assert body["events_url"] == f"/api/agent/events/{job_id}"
    assert body["result_url"] == f"/api/agent/result/{job_id}"
    job = client(server, made["main"]).wait(job_id, timeout=240, interval=0.05)
    assert job["status"] == "succeeded", job
    assert job["result_url"] == f"/api/agent/result/{job_id}" and job["error"] is None
    result = send(server, made["main"], "GET", job["result_url"])
    assert result.status == 200, result
    mesh = load_stl(result.body)
    assert len(mesh.faces) == job["report"]["triangles"] > 0


def test_agent_responses_carry_a_request_id_and_rate_limit_headers(shared, finished):
    server, made = shared
    found = status(server, made["main"], finished)
    missing = status(server, made["main"], "no-such-job")
    assert (found.status, missing.status) == (200, 404), (found, missing)
    for response in (found, missing):
        assert response.headers.get("x-request-id"), response.headers
        assert response.headers["ratelimit-policy"] == '"agent";q=100000;w=60'
        assert RATE_LIMIT.fullmatch(response.headers["ratelimit"]), response.headers
    request_ids = {found.headers["x-request-id"], missing.headers["x-request-id"]}
    assert len(request_ids) == 2
    audited = poll(lambda: {line["request_id"] for line in audit_lines(server.data_dir)},
                   lambda ids: request_ids <= ids)
    assert request_ids <= audited


def test_python_client_round_trip(shared, duck_bytes):
    server, made = shared
    agent = client(server, made["main"])
    submitted_job = agent.generate_3d(duck_bytes, **QUICK)
    job = agent.wait(submitted_job["job_id"], timeout=240, interval=0.05)
    assert job["status"] == "succeeded", job
    assert agent.status(job["job_id"])["status"] == "succeeded"
    assert len(load_stl(agent.result(job["job_id"])).faces) == job["report"]["triangles"]
    assert agent.result(job["job_id"], format="glb")[:4] == b"glTF"
    with pytest.raises(orfeas_agent.AgentError) as error:
        agent.status("no-such-job")
    assert error.value.status == 404 and error.value.code == "not_found"


def test_batch_of_three_photos(shared, duck_bytes):
    server, made = shared
    agent = client(server, made["main"])
    batch = agent.batch([duck_bytes] * 3, **QUICK)
    assert batch["batch_size"] == 3 and batch["batch_id"]
    assert len(batch["job_ids"]) == 3 and len(set(batch["job_ids"])) == 3
    assert "estimated_completion" in batch
    for job_id in batch["job_ids"]:
        assert agent.wait(job_id, timeout=240, interval=0.05)["status"] == "succeeded"


def test_cancel_a_job_then_a_finished_one_is_a_conflict(shared, finished):
    server, made = shared
    agent = client(server, made["main"])
    job_id = agent.generate_3d(DUCK.read_bytes(), **SLOW)["job_id"]
    cancelled = agent.cancel(job_id)
    assert cancelled["job_id"] == job_id
    assert agent.wait(job_id, timeout=240, interval=0.05)["status"] == "cancelled"
    with pytest.raises(orfeas_agent.AgentError) as error:
        agent.cancel(finished)
    assert error.value.status == 409


def test_events_stream_ends_with_done(shared):
    server, made = shared
    agent = client(server, made["main"])
    job_id = agent.generate_3d(DUCK.read_bytes(), **QUICK)["job_id"]
    events = list(agent.events(job_id, timeout=240))
    assert events, "no events"
    name, data = events[-1]
    assert name == "done"
    assert data["job_id"] == job_id and data["status"] == "succeeded"
    assert all(data["job_id"] == job_id for _, data in events)


def test_another_agents_job_is_not_found(shared, finished):
    server, made = shared
    assert status(server, made["main"], finished).status == 200
    other = made["other"]
    for method, target in (("GET", f"/api/agent/status/{finished}"),
                           ("GET", f"/api/agent/result/{finished}"),
                           ("DELETE", f"/api/agent/jobs/{finished}"),
                           ("GET", f"/api/agent/events/{finished}")):
        response = send(server, other, method, target)
        assert response.status == 404, (method, target, response)
        assert response.error_code() == "not_found"
    assert status(server, made["main"], finished).json()["status"] == "succeeded"


def test_operation_outside_the_agents_scopes_is_forbidden(shared, finished):
    server, made = shared
    response = submit(server, made["watcher"], **QUICK)
    assert response.status == 403, response
    assert response.error_code() == "forbidden"
    assert "generate_3d" in response.json()["error"]["message"]
    # Its one scope works: another agent's job is simply not found.
    assert status(server, made["watcher"], finished).status == 404


def test_address_outside_the_allowlist_is_forbidden(shared):
    server, made = shared
    response = submit(server, made["net10"], **QUICK)
    assert response.status == 403, response
    assert response.error_code() == "forbidden"
    assert submit(server, made["loopback"], **QUICK).status == 202


def test_rate_limit_answers_429_with_retry_after_and_ratelimit_headers(shared):
    server, made = shared
    limited = made["limited"]
    job_id = submitted(server, limited, **QUICK)
    responses = [status(server, limited, job_id) for _ in range(3)]
    assert [r.status for r in responses] == [200, 200, 429], responses
    refused = responses[-1]
    assert refused.error_code() == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    for response in responses:
        assert response.headers["ratelimit-policy"] == '"agent";q=3;w=60'
    remaining = [int(RATE_LIMIT.fullmatch(r.headers["ratelimit"]).group(1)) for r in responses]
    assert remaining == [1, 0, 0]


def test_cap_on_queued_and_running_jobs(shared):
    server, made = shared
    capped = made["capped"]
    blocker = submitted(server, capped, **SLOW)
    refused = submit(server, capped, **QUICK)
    assert refused.status == 429, refused
    assert refused.error_code() == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert send(server, capped, "DELETE", f"/api/agent/jobs/{blocker}").status == 200
    client(server, capped).wait(blocker, timeout=240, interval=0.05)
    assert submit(server, capped, **QUICK).status == 202


# --- refused signatures ---------------------------------------------------------------------------

def test_replayed_request_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    body = image_body(**QUICK)
    headers = {**headers_for(made["bot"], "POST", "/api/agent/generate-3d", body),
               "Content-Type": "application/json"}
    first = server.request("POST", "/api/agent/generate-3d", body=body, headers=headers)
    assert first.status == 202, first
    assert_unauthorized(server.request("POST", "/api/agent/generate-3d", body=body,
                                       headers=headers))


def test_edited_body_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    body = image_body(**QUICK)
    headers = {**headers_for(made["bot"], "POST", "/api/agent/generate-3d", body),
               "Content-Type": "application/json"}
    edited = body.replace(b'"resolution": 32', b'"resolution": 33')
    assert edited != body
    assert_unauthorized(server.request("POST", "/api/agent/generate-3d", body=edited,
                                       headers=headers))
    # The same headers with the signed body pass: only the edit was refused.
    assert server.request("POST", "/api/agent/generate-3d", body=body,
                          headers=headers).status == 202


def test_edited_method_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    target = f"/api/agent/status/{job_id}"
    headers = headers_for(made["bot"], "POST", target)
    assert_unauthorized(server.request("GET", target, headers=headers))
    signed_for_get = headers_for(made["bot"], "GET", target, timestamp=headers["X-Agent-Timestamp"],
                                 nonce=headers["X-Agent-Nonce"])
    assert server.request("GET", target, headers=signed_for_get).status == 200


def test_edited_path_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    first = submitted(server, made["bot"], **QUICK)
    second = submitted(server, made["bot"], **QUICK)
    headers = headers_for(made["bot"], "GET", f"/api/agent/status/{first}")
    assert_unauthorized(server.request("GET", f"/api/agent/status/{second}", headers=headers))
    assert server.request("GET", f"/api/agent/status/{first}", headers=headers).status == 200


def test_edited_query_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    client(server, made["bot"]).wait(job_id, timeout=240, interval=0.05)
    signed = f"/api/agent/result/{job_id}?format=glb"
    headers = headers_for(made["bot"], "GET", signed)
    assert_unauthorized(server.request("GET", f"/api/agent/result/{job_id}?format=stl",
                                       headers=headers))
    response = server.request("GET", signed, headers=headers)
    assert response.status == 200 and response.body[:4] == b"glTF", response


def test_query_in_another_order_is_the_same_signature(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    headers = headers_for(made["bot"], "GET", f"/api/agent/status/{job_id}?a=1&b=2")
    response = server.request("GET", f"/api/agent/status/{job_id}?b=2&a=1", headers=headers)
    assert response.status == 200, response


@pytest.mark.parametrize("skew_s", [-301, 301])
def test_timestamp_more_than_300_s_off_is_refused(own, skew_s):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    assert_unauthorized(status(server, made["bot"], job_id, timestamp=int(time.time()) + skew_s))
    near = int(time.time()) + (240 if skew_s > 0 else -240)
    assert status(server, made["bot"], job_id, timestamp=near).status == 200


def test_unknown_key_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    stranger = {"api_key": "ak_" + "0" * 32, "secret": made["bot"]["secret"]}
    assert_unauthorized(status(server, stranger, "any-job"))


def test_wrong_secret_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    assert_unauthorized(status(server, made["bot"], job_id, secret=made["bot"]["secret"] + "x"))
    assert status(server, made["bot"], job_id).status == 200


def test_every_authentication_failure_has_the_same_401_body(own):
    server, made = own(bot=HIGH_RATE, off=HIGH_RATE)
    bot = made["bot"]
    job_id = submitted(server, bot, **QUICK)
    target = f"/api/agent/status/{job_id}"
    replayed = headers_for(bot, "GET", target)
    assert server.request("GET", target, headers=replayed).status == 200
    agents(server.data_dir, "disable", "off")
    poll(lambda: status(server, made["off"], "any-job"), lambda r: r.status == 401)
    missing_signature = headers_for(bot, "GET", target)
    del missing_signature["X-Agent-Signature"]
    failures = {
        "unknown key": status(server, {**bot, "api_key": "ak_" + "1" * 32}, job_id),
        "wrong secret": status(server, bot, job_id, secret="sk_wrong"),
        "stale": status(server, bot, job_id, timestamp=int(time.time()) - 1000),
        "replay": server.request("GET", target, headers=replayed),
        "edited path": server.request("GET", target + "x", headers=replayed),
        "short nonce": status(server, bot, job_id, nonce="short"),
        "no signature": server.request("GET", target, headers=missing_signature),
        "no headers": server.request("GET", target),
        "disabled": status(server, made["off"], "any-job"),
    }
    for kind, response in failures.items():
        assert response.status == 401, (kind, response)
        assert response.headers.get("x-request-id"), kind
    bodies = {kind: response.body for kind, response in failures.items()}
    assert len(set(bodies.values())) == 1, bodies
    assert json.loads(bodies["replay"]) == UNAUTHORIZED


def test_failed_attempts_throttle_the_address(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    answers = []
    for _ in range(30):
        answers.append(status(server, made["bot"], job_id, secret="sk_wrong"))
        if answers[-1].status == 429:
            break
    statuses = [r.status for r in answers]
    assert statuses.count(401) >= 20 and statuses[-1] == 429, statuses
    good = status(server, made["bot"], job_id)
    assert good.status == 429, good
    assert int(good.headers["retry-after"]) >= 1
    assert good.headers["ratelimit-policy"] == '"failures";q=20;w=60'
    assert re.fullmatch(r'"failures";r=0;t=\d+', good.headers["ratelimit"]), good.headers


# --- the registry while the server runs -----------------------------------------------------------

def test_revoked_agent_is_refused(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    agents(server.data_dir, "revoke", "bot")
    assert_unauthorized(poll(lambda: status(server, made["bot"], job_id),
                             lambda r: r.status != 200))
    assert orfeas("agents", "enable", "bot", "--data", server.data_dir, check=False).returncode != 0


def test_disabled_agent_is_refused_until_enabled(own):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    agents(server.data_dir, "disable", "bot")
    assert_unauthorized(poll(lambda: status(server, made["bot"], job_id),
                             lambda r: r.status != 200))
    agents(server.data_dir, "enable", "bot")
    response = poll(lambda: status(server, made["bot"], job_id), lambda r: r.status == 200)
    assert response.status == 200, response


def test_rotation_keeps_both_secrets_until_the_old_one_is_revoked(own):
    server, made = own(bot=HIGH_RATE)
    bot = made["bot"]
    job_id = submitted(server, bot, **QUICK)
    rotated = json.loads(agents(server.data_dir, "rotate", "bot"))
    assert rotated["agent_id"] == bot["agent_id"] and rotated["api_key"] == bot["api_key"]
    assert rotated["secret"] != bot["secret"] and rotated["secret_id"] != bot["secret_id"]
    new = poll(lambda: status(server, bot, job_id, secret=rotated["secret"]),
               lambda r: r.status == 200)
    assert new.status == 200, new
    assert status(server, bot, job_id).status == 200
    agents(server.data_dir, "revoke", "bot", "--secret-id", bot["secret_id"])
    assert_unauthorized(poll(lambda: status(server, bot, job_id), lambda r: r.status != 200))
    assert status(server, bot, job_id, secret=rotated["secret"]).status == 200


# --- the audit trail ------------------------------------------------------------------------------

def test_audit_records_the_real_reason_and_never_a_secret(own):
    server, made = own(bot=HIGH_RATE)
    bot = made["bot"]
    job_id = submitted(server, bot, **QUICK)
    target = f"/api/agent/status/{job_id}"
    replayed = headers_for(bot, "GET", target)
    accepted = server.request("GET", target, headers=replayed)
    sent = {
        "replay": server.request("GET", target, headers=replayed),
        "signature": status(server, bot, job_id, secret="sk_wrong"),
        "timestamp": status(server, bot, job_id, timestamp=int(time.time()) - 1000),
        "key": status(server, {**bot, "api_key": "ak_" + "2" * 32}, job_id),
    }
    ids = {kind: r.headers["x-request-id"] for kind, r in sent.items()}
    ids["accepted"] = accepted.headers["x-request-id"]
    assert server.stop() == 0, server.log()
    lines = audit_lines(server.data_dir)
    for line in lines:
        assert set(line) == AUDIT_KEYS, line
    # The accepted request's last record: its job operation (or its authentication).
    by_request = {line["request_id"]: line for line in lines}
    allowed = by_request[ids["accepted"]]
    assert allowed["outcome"] in ("allowed", "succeeded"), allowed
    assert allowed["nonce"] == replayed["X-Agent-Nonce"] and allowed["status"] == 200
    assert allowed["agent_id"] == bot["agent_id"] and allowed["client_address"] == "127.0.0.1"
    assert allowed["method"] == "GET" and allowed["path"] == target
    for kind in ("replay", "signature", "timestamp", "key"):
        line = by_request[ids[kind]]
        assert line["outcome"] == "denied" and line["status"] == 401, line
        assert kind in line["reason"] or (kind == "replay" and "nonce" in line["reason"]), line
        assert line["nonce"] == "", line
    text = (server.data_dir / "audit.jsonl").read_text()
    assert bot["secret"] not in text and "sk_wrong" not in text
    assert replayed["X-Agent-Signature"] not in text
    database = b"".join(path.read_bytes() for path in server.data_dir.glob("orfeas.db*"))
    assert bot["secret"].encode() not in database


def tampered_copy(data_dir, destination, edit):
    """A copy of the data directory whose audit.jsonl lines went through `edit(lines)`."""
    shutil.copytree(data_dir, destination)
    path = destination / "audit.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(edit(lines)))
    return destination


def edit_line(lines, index):
    record = json.loads(lines[index])
    record["status"] = 200 if record["status"] != 200 else 201
    return lines[:index] + [json.dumps(record, separators=(",", ":")) + "\n"] + lines[index + 1:]


TAMPERING = {
    # name: (edit, the line `audit verify` must name, 1-based, for a trail of n lines)
    "edited line": (lambda lines: edit_line(lines, 1), lambda n: 2),
    "deleted middle line": (lambda lines: lines[:2] + lines[3:], lambda n: 3),
    "deleted last line": (lambda lines: lines[:-1], lambda n: n),
    "swapped lines": (lambda lines: lines[:1] + [lines[2], lines[1]] + lines[3:], lambda n: 2),
}


def test_audit_verify_finds_tampering(own, tmp_path):
    server, made = own(bot=HIGH_RATE)
    job_id = submitted(server, made["bot"], **QUICK)
    for _ in range(3):
        assert status(server, made["bot"], job_id).status == 200
    assert status(server, made["bot"], job_id, secret="sk_wrong").status == 401
    assert server.stop() == 0, server.log()
    count = len(audit_lines(server.data_dir))
    assert count >= 5
    intact = orfeas("audit", "verify", "--data", server.data_dir, check=False)
    assert intact.returncode == 0, intact.stderr
    tail = orfeas("audit", "tail", "--data", server.data_dir, "-n", 2).stdout.splitlines()
    assert [json.loads(line)["seq"] for line in tail] == [count - 1, count]
    for name, (edit, bad_line) in TAMPERING.items():
        copy = tampered_copy(server.data_dir, tmp_path / name.replace(" ", "-"), edit)
        broken = orfeas("audit", "verify", "--data", copy, check=False)
        assert broken.returncode == 1, (name, broken.stdout, broken.stderr)
        assert f"audit trail broken at line {bad_line(count)}:" in broken.stderr, \
            (name, broken.stderr)


# --- other clients --------------------------------------------------------------------------------

def test_curl_script_signs_status_and_submission(shared, finished, tmp_path):
    server, made = shared
    script = SOURCE_DIR / "clients" / "curl" / "agent_request.sh"
    base = f"http://{server.host}:{server.port}"
    env = {**os.environ, "ORFEAS_AGENT_KEY": made["main"]["api_key"],
           "ORFEAS_AGENT_SECRET": made["main"]["secret"]}

    def run(*args):
        return subprocess.run(["bash", str(script), *args], env=env, capture_output=True,
                              text=True, timeout=60)

    got = run("GET", f"{base}/api/agent/status/{finished}?b=2&a=1")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["status"] == "succeeded"
    body = tmp_path / "job.json"
    body.write_bytes(image_body(**QUICK))
    posted = run("POST", f"{base}/api/agent/generate-3d", str(body))
    assert posted.returncode == 0, posted.stderr
    assert json.loads(posted.stdout)["agent_id"] == made["main"]["agent_id"]


def test_orfeas_sign_curl_headers(shared, finished):
    server, made = shared
    url = f"http://{server.host}:{server.port}/api/agent/status/{finished}"
    env = {**os.environ, "ORFEAS_AGENT_SECRET": made["main"]["secret"], "ORFEAS": ORFEAS,
           "KEY": made["main"]["api_key"], "URL": url}
    # As docs/SIGNING.md shows it: the output is split into curl's arguments by the shell.
    got = subprocess.run(["bash", "-c", 'curl -sS --fail-with-body '
                          '$("$ORFEAS" sign --curl --key "$KEY" "$URL") "$URL"'],
                         env=env, capture_output=True, text=True, timeout=60)
    assert got.returncode == 0, got.stdout + got.stderr
    assert json.loads(got.stdout)["job_id"] == finished
