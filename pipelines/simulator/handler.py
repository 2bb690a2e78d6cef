"""HTTP/1.1 request handler: authentication, fault injection and response plumbing."""

from __future__ import annotations

import base64
import email.utils
import hmac
import json
import logging
import math
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from pipelines.simulator.routes import ClientError, route

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from pipelines.simulator.server import SimulatorServer

TOKEN_PATH = "/oauth2/client_credential/gettoken"
SERVER_ERROR_HTML = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>"
REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClientSpacesSimulator/1.0"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls
    sim: SimulatorServer  # set on the subclass the server builds

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.sim.verbose:
            super().log_message(format, *args)

    # --- responses ------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timed out)
        self.sim.count(f"status_{status}")

    def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), headers=headers)

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0: the kernel sends RST, the client sees a reset, no response."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()  # the real close (and RST) happens once rfile is closed too

    def _inject(self, fault: str | None, draw: float) -> bool:
        """Answers with the fault when it replaces the response; True when it did."""
        if fault is None:
            return False
        self.sim.count(f"fault_{fault}")
        if fault == "rate_limit":
            retry_after = self.sim.faults.retry_after
            if draw < self.sim.faults.retry_after_http_date_share:
                seconds = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 1.0
                retry_after = email.utils.formatdate(math.ceil(time.time() + seconds), usegmt=True)
            self._json(429, {"error": "rate_limited"}, {"Retry-After": retry_after})
        elif fault == "server_error":
            status = (500, 502, 503, 504)[int(draw * 4) % 4]
            if int(draw * 8) % 2:
                self._send(
                    status,
                    SERVER_ERROR_HTML.format(f"{status} {REASONS[status]}").encode(),
                    "text/html; charset=utf-8",
                )
            else:
                self._json(status, {"error": "server_error", "message": REASONS[status]})
        elif fault == "connection_reset":
            self._reset_connection()
        elif fault == "timeout":
            time.sleep(self.sim.faults.timeout_sleep_seconds)
            return False  # then answer normally, too late for a client with a short timeout
        elif fault == "token_revoked":
            self.sim.tokens.revoke(self._bearer() or "")
            self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": "Bearer"})
        else:
            return False  # truncated_json is applied to the body later
        return True

    # --- requests -------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = self.headers.get("Content-Length", "0")
        body = self.rfile.read(int(length) if length.isdigit() else 0)
        if urlsplit(self.path).path != TOKEN_PATH:
            self._json(404, {"error": "not_found"})
            return
        self.sim.count("token_requests")
        if self._inject(*self.sim.decider.for_request(token_request=True)):
            return
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        basic = self.headers.get("Authorization", "")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = client_secret = ""
            form.setdefault("client_id", client_id)
            form.setdefault("client_secret", client_secret)
        if form.get("grant_type") != "client_credentials":
            self._json(400, {"error": "unsupported_grant_type"})
            return
        same_id = hmac.compare_digest(
            form.get("client_id", "").encode(), self.sim.client_id.encode()
        )
        same_secret = hmac.compare_digest(
            form.get("client_secret", "").encode(), self.sim.client_secret.encode()
        )
        if not (same_id and same_secret):
            self._json(401, {"error": "invalid_client"})
            return
        self._json(
            200,
            {
                "access_token": self.sim.tokens.issue(),
                "token_type": "Bearer",
                "expires_in": math.ceil(self.sim.tokens.ttl_seconds),
            },
        )

    def _bearer(self) -> str | None:
        header = self.headers.get("Authorization", "")
        return header[7:].strip() if header.lower().startswith("bearer ") else None

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        now = self.sim.clock.tick()
        self.sim.count("data_requests")
        uses = self.sim.tokens.use(self._bearer())
        if not uses:
            self._json(401, {"error": "invalid_token"}, {"WWW-Authenticate": "Bearer"})
            return
        fault, draw = self.sim.decider.for_request(token_request=False)
        if fault == "token_revoked" and uses == 1 and self.sim.faults.token_revoked < 1.0:
            # A token is revoked while in use, never on its first request: below rate 1.0 a
            # client that re-authenticates always recovers (two 401s in a row stay fatal).
            fault = None
        if self._inject(fault, draw):
            return
        url = urlsplit(self.path)
        if _documents_space(url.path) in self.sim.faults.failing_spaces:
            self.sim.count("fault_failing_space")
            self._json(503, {"error": "server_error", "message": "Service Unavailable"})
            return
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            body = route(self.sim.world, self.sim.faults, url.path, query, now)
        except ClientError as error:
            self._json(error.status, error.body)
            return
        except Exception:  # a simulator bug: say so instead of dropping the connection
            logger.exception("simulator failed on %s", self.path)
            self._json(500, {"error": "simulator_bug"})
            return
        if fault == "truncated_json":
            body = body[: len(body) // 2]
        self._send(200, body)


def _documents_space(path: str) -> str | None:
    """The space id of a documents path, else None."""
    parts = path.strip("/").split("/")
    if len(parts) == 5 and parts[:3] == ["datastore", "v1", "spaces"] and parts[4] == "documents":
        return parts[3]
    return None
