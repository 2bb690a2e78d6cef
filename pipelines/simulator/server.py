"""SimulatorServer: the Client Spaces API on loopback, backed by a World and a SimClock."""

from __future__ import annotations

import collections
import contextlib
import logging
import socket
import threading
from http.server import ThreadingHTTPServer

from pipelines.simulator.clock import SimClock
from pipelines.simulator.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, FaultConfig
from pipelines.simulator.faults import FaultDecider
from pipelines.simulator.handler import SimulatorHandler
from pipelines.simulator.tokens import TokenStore
from pipelines.simulator.world import World

logger = logging.getLogger(__name__)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[SimulatorHandler], owner: SimulatorServer
    ) -> None:
        self.owner = owner
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: socket.socket, client_address: tuple) -> None:
        with self.connections_lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
        with self.connections_lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: socket.socket, client_address: tuple) -> None:
        # Clients that hang up (timeouts, resets) are part of the game; real bugs are logged.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class SimulatorServer:
    """A real HTTP server; start() serves from a daemon thread, stop() ends it."""

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: SimClock | None = None,
        faults: FaultConfig | None = None,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        token_ttl_seconds: float = 300,
        verbose: bool = False,
    ) -> None:
        self.world = world
        self.clock = clock or SimClock(world.config.anchor)
        self.faults = faults or FaultConfig()
        self.decider = FaultDecider(self.faults)
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens = TokenStore(token_ttl_seconds)
        self.verbose = verbose
        self._counts: collections.Counter[str] = collections.Counter()
        self._counts_lock = threading.Lock()
        world.feed()  # generate the documents now, not inside the first request
        handler = type("BoundSimulatorHandler", (SimulatorHandler,), {"sim": self})
        self._httpd = _HTTPServer((host, port), handler, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def stats(self) -> dict[str, int]:
        """Requests, responses per status and injected faults, counted so far."""
        with self._counts_lock:
            return dict(self._counts)

    def count(self, name: str) -> None:
        with self._counts_lock:
            self._counts[name] += 1
            if name in ("token_requests", "data_requests"):
                self._counts["requests"] += 1

    def start(self) -> SimulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # stop() waits at most this long
                name="simulator-http",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        # Keep-alive connections would keep their handler threads alive: end them too.
        with self._httpd.connections_lock:
            for connection in list(self._httpd.open_connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
