"""Agents for the integration tests: the real `orfeas agents` / `orfeas audit` CLI on a server's
data directory, and signed requests made with the Python client (clients/python/orfeas_agent.py)."""
import json
import subprocess
import sys
import time

from orfeas_server import ORFEAS, SOURCE_DIR

sys.path.insert(0, str(SOURCE_DIR / "clients" / "python"))
import orfeas_agent  # noqa: E402

# The server sees registry changes within 1 s; polls give it this long (a guard, not a timing test).
CHANGE_DEADLINE_S = 3
# The answer to every authentication failure (docs/SIGNING.md).
UNAUTHORIZED = {"error": {"code": "unauthorized",
                          "message": "the request is not signed correctly (see docs/SIGNING.md)",
                          "details": {}}}


def orfeas(*args, check=True):
    """Runs `orfeas ARGS...`; the completed process (asserting exit 0 when `check`)."""
    process = subprocess.run([ORFEAS, *map(str, args)], capture_output=True, text=True,
                             timeout=60)
    if check:
        assert process.returncode == 0, f"orfeas {args} exited {process.returncode}:\n" \
                                        f"{process.stderr}"
    return process


def add_agent(data_dir, name, *options):
    """`orfeas agents add NAME --data DIR OPTIONS...`: its JSON (agent_id, api_key, secret, ...)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return json.loads(orfeas("agents", "add", name, "--data", data_dir, *options).stdout)


def agents(data_dir, *args):
    """`orfeas agents ARGS... --data DIR`; its stdout."""
    return orfeas("agents", *args, "--data", data_dir).stdout


def audit_lines(data_dir):
    """The audit trail's complete records, in order (a line being written is left out)."""
    lines = (data_dir / "audit.jsonl").read_text().splitlines(keepends=True)
    return [json.loads(line) for line in lines if line.endswith("\n")]


def headers_for(agent, method, target, body=b"", secret=None, **overrides):
    """The X-Agent-* headers of `agent` (a dict from add_agent) for one request."""
    return orfeas_agent.signed_headers(agent["api_key"], secret or agent["secret"], method, target,
                                       body, **overrides)


def send(server, agent, method, target, body=b"", headers=None, secret=None, **overrides):
    """One request signed as `agent`; the orfeas_server.Response. `overrides`: timestamp, nonce."""
    signed = headers_for(agent, method, target, body, secret, **overrides)
    if body:
        signed["Content-Type"] = "application/json"
    return server.request(method, target, body=body or None, headers={**signed, **(headers or {})})


def client(server, agent, secret=None):
    """An orfeas_agent.AgentClient for `agent` on `server`."""
    return orfeas_agent.AgentClient(f"http://{server.host}:{server.port}", agent["api_key"],
                                    secret or agent["secret"])


def poll(call, until, deadline_s=CHANGE_DEADLINE_S, interval_s=0.25):
    """Calls `call()` until `until(result)` holds; the last result (the caller asserts on it).
    The interval stays long enough that a poll of refused requests stays far below the failure
    throttle of docs/SIGNING.md (20 a minute)."""
    end = time.monotonic() + deadline_s
    while True:
        result = call()
        if until(result) or time.monotonic() > end:
            return result
        time.sleep(interval_s)
