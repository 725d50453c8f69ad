"""A real `orfeas serve` process and a small HTTP client for it (standard library only)."""
import base64
import http.client
import json
import os
import pathlib
import selectors
import signal
import socket
import subprocess
import time
import uuid

SOURCE_DIR = pathlib.Path(os.environ.get("ORFEAS_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
ORFEAS = os.environ.get("ORFEAS_BIN", str(SOURCE_DIR / "build/src/orfeas/cli/orfeas"))
DUCK = SOURCE_DIR / "examples" / "duck.jpg"

FINAL_STATUSES = ("succeeded", "failed", "cancelled")
LISTENING_PREFIX = "orfeas: listening on http://"
# Guards against a hung server, not timing assertions: every wait fails loudly past its deadline.
START_DEADLINE_S = 30
STOP_DEADLINE_S = 60
JOB_DEADLINE_S = 240


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def error_code(self):
        return self.json()["error"]["code"]

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


def multipart(fields, files):
    """A multipart/form-data body: `fields` {name: value}, `files` [(name, filename, bytes)]."""
    boundary = "orfeas-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def b64(data):
    return base64.b64encode(data).decode()


class OrfeasServer:
    """`orfeas serve --host 127.0.0.1 --port 0 --data DATA ARGS...`, its stderr kept in a file."""

    def __init__(self, data_dir, *args, log_path=None):
        self.data_dir = pathlib.Path(data_dir)
        self.args = [str(a) for a in args]
        self.log_path = pathlib.Path(log_path or self.data_dir.parent / "orfeas-serve.log")
        self.process = None
        self.host = self.port = None

    # --- process ---------------------------------------------------------------------------------

    def start(self):
        command = [ORFEAS, "serve", "--host", "127.0.0.1", "--port", "0",
                   "--data", str(self.data_dir), *self.args]
        log = open(self.log_path, "a")
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        log.close()
        line = self._read_stdout_line(START_DEADLINE_S)
        assert line.startswith(LISTENING_PREFIX), f"unexpected first line {line!r}\n{self.log()}"
        address = line[len(LISTENING_PREFIX):].strip()
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        return self

    def _read_stdout_line(self, deadline_s):
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        line = b""
        end = time.monotonic() + deadline_s
        while not line.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not selector.select(left):
                self.process.kill()
                raise AssertionError(f"no listening line within {deadline_s} s\n{self.log()}")
            chunk = os.read(self.process.stdout.fileno(), 1)
            if not chunk:
                raise AssertionError(f"orfeas serve exited before listening "
                                     f"(rc {self.process.wait()})\n{self.log()}")
            line += chunk
        return line.decode()

    def stop(self):
        """SIGTERM, then the exit status (the caller asserts it)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"orfeas serve ignored SIGTERM for {STOP_DEADLINE_S} s\n"
                                 f"{self.log()}")

    def kill(self):
        self.process.kill()
        self.process.wait()

    def running(self):
        return self.process is not None and self.process.poll() is None

    def log(self):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "--- orfeas serve stderr (tail) ---\n" + text[-4000:]

    # --- HTTP ------------------------------------------------------------------------------------

    def connection(self, timeout=30):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.getheaders(), response.read())
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def delete(self, path):
        return self.request("DELETE", path)

    def post_json(self, path, document, headers=None):
        body = document if isinstance(document, (bytes, str)) else json.dumps(document)
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/json", **(headers or {})})

    def post_multipart(self, path, fields, files, headers=None):
        body, content_type = multipart(fields, files)
        return self.request("POST", path, body=body,
                            headers={"Content-Type": content_type, **(headers or {})})

    # --- jobs ------------------------------------------------------------------------------------

    def submit(self, image=None, headers=None, **options):
        """POSTs one JSON job (the duck unless `image` is given); returns the 202 body."""
        data = DUCK.read_bytes() if image is None else image
        response = self.post_json("/api/jobs", {"image": b64(data), **options}, headers)
        assert response.status == 202, f"{response}\n{self.log()}"
        return response.json()

    def job(self, job_id):
        response = self.get(f"/api/jobs/{job_id}")
        assert response.status == 200, response
        return response.json()

    def wait(self, job_id, statuses=FINAL_STATUSES, attempts=None, deadline_s=JOB_DEADLINE_S):
        """Polls the job until its status is one of `statuses` (and, if given, its attempts count
        is `attempts`); returns it."""
        end = time.monotonic() + deadline_s
        while True:
            job = self.job(job_id)
            if job["status"] in statuses and attempts in (None, job["attempts"]):
                return job
            if time.monotonic() > end:
                raise AssertionError(f"job {job_id} still {job['status']} after {deadline_s} s: "
                                     f"{job}\n{self.log()}")
            time.sleep(0.02)

    def events(self, job_id, deadline_s=JOB_DEADLINE_S):
        """The job's server-sent events as (event, data) pairs, until the server ends the stream."""
        connection = self.connection(deadline_s)
        try:
            connection.request("GET", f"/api/jobs/{job_id}/events")
            response = connection.getresponse()
            assert response.status == 200, response.read()
            assert response.getheader("Content-Type").startswith("text/event-stream")
            events, event, data = [], "", []
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if data:
                        events.append((event or "message", "\n".join(data)))
                        if event == "done":
                            break
                    event, data = "", []
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
            return events
        finally:
            connection.close()


def raw_exchange(host, port, head, body, deadline_s=30):
    """Sends `head` (request line and headers) then `body` over a raw socket, tolerating a server
    that answers and closes before the body is in; returns (status, the whole raw response)."""
    with socket.create_connection((host, port), timeout=deadline_s) as sock:
        sock.sendall(head)
        try:
            for start in range(0, len(body), 1 << 16):
                sock.sendall(body[start:start + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused the body: its answer is already on the way
        received = b""
        try:
            while chunk := sock.recv(1 << 16):
                received += chunk
        except ConnectionResetError:
            pass
    status_line = received.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1.1 "), f"no HTTP response: {received[:200]!r}"
    return int(status_line.split()[1]), received
