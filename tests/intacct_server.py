"""A local Intacct test server: the simulator in tests/support served over real HTTP on 127.0.0.1.

Use the ``intacct_server`` fixture (import it into a test module), or run it by hand:

    .venv/bin/python -m tests.intacct_server --port 8765

It speaks the subset of the Web Services XML API and of the REST API that FORMATS.md documents
(login, getAPISession, readByQuery/readMore paging, GLBATCH create/update, REST journal entries and
core/query) and can be told to fail: ``server.sim.inject("http429", times=2)``, ``"gw0010"``, ``"5xx"``,
``"5xx_after"`` (work done, answer lost), ``"malformed"``, ``"slow"``; ``server.sim.expire_sessions()``.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.intacct_sim import IntacctSimulator, SimCredentials


@dataclass
class RunningServer:
    sim: IntacctSimulator
    base_url: str

    @property
    def xml_endpoint(self) -> str:
        return f"{self.base_url}/ia/xml/xmlgw.phtml"

    @property
    def rest_base(self) -> str:
        return f"{self.base_url}/ia/api/v1"

    @property
    def creds(self) -> SimCredentials:
        return self.sim.creds


def _handler_for(sim: IntacctSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stalls

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, payload = sim.handle(self.command, self.path, headers, body)
            self.send_response(status)
            for k, v in out_headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                pass

        do_GET = do_POST = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args) -> None:  # keep test output quiet
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that timed out and hung up is part of the tests, not an error to print.
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


@contextmanager
def running_server(sim: IntacctSimulator | None = None, port: int = 0) -> Iterator[RunningServer]:
    sim = sim or IntacctSimulator()
    httpd = _Server(("127.0.0.1", port), _handler_for(sim))
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    sim.base_url = base
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield RunningServer(sim, base)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def settings_for(server: RunningServer, data_dir, **overrides):
    """Settings pointing the connector at ``server`` with fast retries (tests must stay quick)."""
    from copilot.settings import Settings

    c = server.creds
    values = dict(
        data_dir=data_dir, intacct_sender_id=c.sender_id, intacct_sender_password=c.sender_password,
        intacct_user_id=c.user_id, intacct_company_id=c.company_id, intacct_user_password=c.user_password,
        intacct_endpoint=server.xml_endpoint, intacct_rest_base_url=server.rest_base,
        intacct_client_id=c.client_id, intacct_client_secret=c.client_secret,
        intacct_max_attempts=4, intacct_backoff_initial_s=0.001, intacct_backoff_max_s=0.01,
        intacct_timeout_s=2.0, intacct_page_size=50, embedding_backend="hashing", vector_backend="memory")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def intacct_server() -> Iterator[RunningServer]:
    with running_server() as server:
        yield server


if __name__ == "__main__":  # pragma: no cover - manual use
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--gldetail", type=int, default=2000, help="GLDETAIL lines to serve")
    args = parser.parse_args()
    with running_server(IntacctSimulator(gldetail=args.gldetail), args.port) as srv:
        print(f"XML: {srv.xml_endpoint}\nREST: {srv.rest_base}\ncredentials: {srv.creds}")
        threading.Event().wait()
