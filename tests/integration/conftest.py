"""Fixtures: real `orfeas serve` processes on loopback, each on its own data directory.

Every server a test starts is stopped with SIGTERM at the end of the test, and must exit 0."""
import pytest

from orfeas_server import DUCK, OrfeasServer


@pytest.fixture
def start_server(tmp_path):
    """start_server(*args, data=None): a started server; `data` reuses a data directory."""
    servers = []

    def _start(*args, data=None):
        server = OrfeasServer(data or tmp_path / "data", *args, log_path=tmp_path / "serve.log")
        servers.append(server)
        return server.start()

    yield _start
    failures = []
    for server in servers:
        if server.running():
            rc = server.stop()
            if rc != 0:
                failures.append(f"orfeas serve exited {rc} on SIGTERM\n{server.log()}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def server(start_server):
    """A server with two workers and the default options."""
    return start_server("--workers", 2)


@pytest.fixture(scope="session")
def duck_bytes():
    return DUCK.read_bytes()
