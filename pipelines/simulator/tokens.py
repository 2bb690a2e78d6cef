"""Bearer tokens that expire in real time, and opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from datetime import UTC, datetime


class TokenStore:
    """Issued access tokens with a real-time expiry; a token can also be revoked early."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._expiry: dict[str, float] = {}
        self._uses: dict[str, int] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            # Forget expired tokens so a long-running demo does not grow without bound.
            self._expiry = {t: e for t, e in self._expiry.items() if e > now}
            self._uses = {t: u for t, u in self._uses.items() if t in self._expiry}
            self._expiry[token] = now + self.ttl_seconds
            self._uses[token] = 0
        return token

    def use(self, token: str | None) -> int:
        """Counts one request made with the token: its number of uses so far, 0 if invalid."""
        if not token:
            return 0
        with self._lock:
            expiry = self._expiry.get(token)
            if expiry is None or time.monotonic() >= expiry:
                return 0
            self._uses[token] += 1
            return self._uses[token]

    def is_valid(self, token: str | None) -> bool:
        with self._lock:
            expiry = self._expiry.get(token or "")
        return expiry is not None and time.monotonic() < expiry

    def revoke(self, token: str) -> None:
        with self._lock:
            self._expiry.pop(token, None)
            self._uses.pop(token, None)


class BadPageToken(ValueError):
    pass


def encode_page_token(payload: dict) -> str:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise BadPageToken("page_token is not a token this server issued") from error
    if not isinstance(payload, dict):
        raise BadPageToken("page_token is not a token this server issued")
    return payload


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 with an offset; a '+' that arrived unencoded in a query string is a space."""
    candidate = text.strip()
    if len(candidate) > 19 and candidate[-6] == " ":
        candidate = candidate[:-6] + "+" + candidate[-5:]
    moment = datetime.fromisoformat(candidate.replace("z", "Z"))
    if moment.tzinfo is None:
        raise ValueError("timestamp needs an offset (Z or +hh:mm)")
    return moment.astimezone(UTC)
