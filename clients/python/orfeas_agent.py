"""A client for the signed agent API of `orfeas serve`, standard library only.

Signing follows docs/SIGNING.md; the routes are in docs/API.md ("The agent API").

    client = AgentClient("http://127.0.0.1:8080", api_key, secret)
    job = client.generate_3d(open("photo.jpg", "rb").read(), resolution=128)
    client.wait(job["job_id"], timeout=300)
    open("photo.stl", "wb").write(client.result(job["job_id"]))
"""
import base64
import hashlib
import hmac
import http.client
import json
import secrets
import time
import urllib.parse

SCHEME = "ORFEAS-HMAC-SHA256"
FINAL_STATUSES = ("succeeded", "failed", "cancelled")


def _bytes(data):
    if data is None:
        return b""
    return data.encode() if isinstance(data, str) else bytes(data)


def canonical_query(target):
    """The raw query after the first '?', split on '&', sorted bytewise, joined with '&'."""
    if "?" not in target:
        return ""
    pieces = target.split("?", 1)[1].split("&")
    return "&".join(sorted(pieces, key=lambda piece: piece.encode()))


def string_to_sign(method, target, timestamp, nonce, body):
    """The seven lines of docs/SIGNING.md, joined with '\\n'."""
    return "\n".join([SCHEME, method, target.split("?", 1)[0], canonical_query(target),
                      str(timestamp), nonce, hashlib.sha256(_bytes(body)).hexdigest()])


def sign(secret, method, target, body, timestamp, nonce):
    """Lowercase hex HMAC-SHA256 of the string to sign, keyed with the secret's bytes."""
    message = string_to_sign(method, target, timestamp, nonce, body).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def new_nonce():
    """32 characters of [A-Za-z0-9_-] from a cryptographic source."""
    return secrets.token_urlsafe(24)


def signed_headers(api_key, secret, method, target, body, timestamp=None, nonce=None):
    """The four X-Agent-* headers for one request (now, with a fresh nonce, unless given)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    nonce = new_nonce() if nonce is None else nonce
    return {"X-Agent-API-Key": api_key, "X-Agent-Timestamp": str(timestamp),
            "X-Agent-Nonce": nonce,
            "X-Agent-Signature": sign(secret, method, target, body, timestamp, nonce)}


class AgentError(Exception):
    """An answer of 400 or above: its status, error code, message and headers (lower-case)."""

    def __init__(self, status, code, message, headers):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _error(status, headers, body):
    try:
        error = json.loads(body)["error"]
        return AgentError(status, error.get("code"), error.get("message"), headers)
    except (ValueError, KeyError, TypeError):
        return AgentError(status, None, body.decode(errors="replace"), headers)


class AgentClient:
    """Signs and sends requests to one server as one agent; each call uses its own connection."""

    def __init__(self, base_url, api_key, secret, timeout=60):
        url = urllib.parse.urlsplit(base_url)
        self._https = url.scheme == "https"
        self._netloc = url.netloc
        self._prefix = url.path.rstrip("/")
        self.api_key, self._secret, self.timeout = api_key, secret, timeout

    def _connection(self, timeout):
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._netloc, timeout=timeout)

    def _send(self, method, path, body=None, content_type=None, headers=None, timeout=None):
        """Opens a connection and sends the signed request; returns (connection, response)."""
        target = self._prefix + path
        body = _bytes(body)
        all_headers = signed_headers(self.api_key, self._secret, method, target, body)
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        connection = self._connection(timeout or self.timeout)
        try:
            connection.request(method, target, body=body or None, headers=all_headers)
            response = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        if response.status >= 400:
            error = _error(response.status, {k.lower(): v for k, v in response.getheaders()},
                           response.read())
            connection.close()
            raise error
        return connection, response

    def request(self, method, path, body=None, content_type=None, headers=None):
        """One signed request; the body of a 2xx answer (AgentError otherwise)."""
        connection, response = self._send(method, path, body, content_type, headers)
        try:
            return response.read()
        finally:
            connection.close()

    def _json(self, method, path, document=None, headers=None):
        body = None if document is None else json.dumps(document)
        content_type = None if document is None else "application/json"
        return json.loads(self.request(method, path, body, content_type, headers))

    @staticmethod
    def _job_path(route, job_id):
        return f"/api/agent/{route}/{urllib.parse.quote(job_id, safe='')}"

    def generate_3d(self, image_bytes, idempotency_key=None, **options):
        """Submits one photo; the 202 body (job_id, status_url, ...)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        document = {"image": base64.b64encode(image_bytes).decode(), **options}
        return self._json("POST", "/api/agent/generate-3d", document, headers)

    def batch(self, images, **options):
        """Submits up to 32 photos with the same options; the 202 body (batch_id, job_ids, ...)."""
        document = {"images": [base64.b64encode(image).decode() for image in images], **options}
        return self._json("POST", "/api/agent/batch", document)

    def status(self, job_id):
        return self._json("GET", self._job_path("status", job_id))

    def result(self, job_id, format=None):
        """The mesh's bytes, in the submitted format unless `format` is given."""
        path = self._job_path("result", job_id)
        if format:
            path += "?format=" + urllib.parse.quote(format, safe="")
        return self.request("GET", path)

    def cancel(self, job_id):
        """Cancels the job; its status."""
        return self._json("DELETE", self._job_path("jobs", job_id))

    def events(self, job_id, timeout=600):
        """Yields (event, data) from the job's event stream until `done` or the stream's end."""
        connection, response = self._send("GET", self._job_path("events", job_id),
                                          timeout=timeout)
        try:
            event, data = "", []
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif line == "" and data:
                    yield event or "message", json.loads("\n".join(data))
                    if event == "done":
                        return
                    event, data = "", []
        finally:
            connection.close()

    def wait(self, job_id, timeout=600, interval=1.0):
        """Polls the status until the job is final and returns it; waits out 429 answers.
        Raises TimeoutError past `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                job = self.status(job_id)
                if job["status"] in FINAL_STATUSES:
                    return job
                pause = interval
            except AgentError as error:
                if error.status != 429:
                    raise
                pause = float(error.headers.get("retry-after", interval))
            if time.monotonic() + pause > deadline:
                raise TimeoutError(f"job {job_id} not finished after {timeout} s")
            time.sleep(pause)
