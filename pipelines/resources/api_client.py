"""HTTP client for the Client Spaces API (docs/source-api.md).

It owns everything the contract asks of a reader: the OAuth2 client-credentials token,
paging, retries (Retry-After, exponential backoff with full jitter, bounded attempts),
timeouts, and one re-authentication on a 401. Assets never build URLs or retry loops.
No secret or token ever appears in a log line or an error message.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import orjson

log = logging.getLogger("pipelines.api")

TRANSIENT_STATUS = frozenset({500, 502, 503, 504})


class ApiError(Exception):
    """A request failed for good (after retries, or with a fatal status)."""


class AuthenticationError(ApiError):
    """The token endpoint refused the credentials, or a fresh token was refused."""


class ApiUnreachable(ApiError):
    """Nothing answers at the API's address (connection refused, host not found): permanent
    for this run, so it is retried only briefly and then reported once."""


class SpaceUnavailable(ApiError):
    """A space's documents cannot be read: access revoked (403) or space gone (404)."""

    def __init__(self, space_id: str, reason: str):
        self.space_id = space_id
        self.reason = reason
        super().__init__(f"space {space_id}: {reason}")


class _Transient(Exception):
    def __init__(self, description: str, wait: float | None = None):
        self.description = description
        self.wait = wait  # seconds the server asked for (Retry-After), if any
        super().__init__(description)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    retry_after_max_seconds: float = 300.0
    # A refused connection or a DNS failure is not a busy server: a few quick retries (for a
    # server restarting) within this many seconds, then the run stops with one clear line.
    connect_retry_seconds: float = 8.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]."""
        ceiling = min(self.backoff_max_seconds, self.backoff_base_seconds * 2 ** (attempt - 1))
        return rng.uniform(0, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class ClientSpacesClient:
    """A thread-safe reader of one Client Spaces API."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_seconds: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = 1000,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        progress: Callable[[str], None] | None = None,
    ):
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._progress = progress  # each retry is a progress line for the person watching
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self._base_url,
            timeout=httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
            headers={"Accept": "application/json", "User-Agent": "client-insights/0.1"},
        )

    def __enter__(self) -> ClientSpacesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:  # never show credentials
        return f"ClientSpacesClient({self._base_url!r})"

    # -- endpoints ---------------------------------------------------------------------------
    def list_spaces(self) -> list[dict]:
        return [r for page in self.iter_pages("/entitystore/v1/spaces", "spaces") for r in page]

    def list_users(self) -> list[dict]:
        return [r for page in self.iter_pages("/partner/v1/users", "users") for r in page]

    def list_assignments(self) -> list[dict]:
        pages = self.iter_pages("/partner/v1/assignments", "assignments")
        return [r for page in pages for r in page]

    def iter_document_pages(
        self, space_id: str, updated_gte: datetime | None = None
    ) -> Iterator[list[dict]]:
        """Pages of document states with updated_at >= updated_gte, in (updated_at, id) order.

        Raises SpaceUnavailable on 403 (access revoked) or 404 (space gone).
        """
        params = {"updated_gte": format_timestamp(updated_gte)} if updated_gte else {}
        path = f"/datastore/v1/spaces/{space_id}/documents"
        yield from self.iter_pages(path, "documents", params, space_id=space_id)

    def first_document_since(self, space_id: str, updated_gte: datetime | None) -> dict | None:
        """One document state with updated_at >= updated_gte (the oldest), or None: one
        request with limit=1, for asking cheaply whether a space changed."""
        query: dict = {"limit": 1}
        if updated_gte is not None:
            query["updated_gte"] = format_timestamp(updated_gte)
        path = f"/datastore/v1/spaces/{space_id}/documents"
        documents = self._get_json(path, query, "documents", space_id)["documents"]
        return documents[0] if documents else None

    # -- paging ------------------------------------------------------------------------------
    def iter_pages(
        self, path: str, list_key: str, params: dict | None = None, *, space_id: str | None = None
    ) -> Iterator[list[dict]]:
        page_token: str | None = None
        while True:
            query = dict(params or {}, limit=self._page_size)
            if page_token:
                query["page_token"] = page_token
            body = self._get_json(path, query, list_key, space_id)
            yield body[list_key]
            page_token = body.get("next_page_token")
            if not page_token:
                return

    # -- one request, with the contract's retry rules ---------------------------------------
    def _get_json(self, path: str, query: dict, list_key: str, space_id: str | None) -> dict:
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            token = self._current_token()
            try:
                response = self._http.get(path, params=query, headers=_bearer(token))
                if response.status_code == 401:
                    if reauthenticated:
                        raise AuthenticationError(
                            f"GET {path}: the API refused a freshly issued token (401 twice in a "
                            "row); check that INSIGHTS_API_CLIENT_ID may read this endpoint"
                        )
                    log.info("GET %s: token no longer accepted; re-authenticating", path)
                    self._invalidate_token(token)
                    reauthenticated = True
                    attempt -= 1  # a re-authentication is not a failed attempt
                    continue
                reauthenticated = False
                return self._interpret(response, path, list_key, space_id)
            except _Transient as problem:
                self._wait_before_retry(f"GET {path}", problem, attempt)
            except httpx.ConnectError as error:
                self._wait_before_reconnect(f"GET {path}", error, attempt)
            except httpx.TransportError as error:
                self._wait_before_retry(f"GET {path}", _Transient(type(error).__name__), attempt)

    def _interpret(
        self, response: httpx.Response, path: str, list_key: str, space_id: str | None
    ) -> dict:
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _Transient("429 Too Many Requests", retry_after)
        if status in TRANSIENT_STATUS:
            raise _Transient(f"{status} server error")
        if space_id is not None and status in (403, 404):
            reason = "access_revoked" if status == 403 else "not_found"
            raise SpaceUnavailable(space_id, reason)
        if status != 200:
            raise ApiError(f"GET {path}: HTTP {status}: {_short(response.text)}")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _Transient("200 with a body that is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get(list_key), list):
            raise _Transient(f"200 without the list key {list_key!r}")
        return body

    def _wait_before_retry(self, what: str, problem: _Transient, attempt: int) -> None:
        if attempt >= self._retry.max_attempts:
            raise ApiError(
                f"{what}: gave up after {attempt} attempts; last problem: {problem.description}"
            )
        if problem.wait is not None:
            delay = min(problem.wait, self._retry.retry_after_max_seconds)
        else:
            delay = self._retry.backoff(attempt, self._rng)
        self._report(f"{what}: {problem.description}; retry {attempt + 1}/"
                     f"{self._retry.max_attempts} in {delay:.1f}s")
        self._sleep(delay)

    def _wait_before_reconnect(self, what: str, error: httpx.ConnectError, attempt: int) -> None:
        """Connection refused / host not found: retried for connect_retry_seconds at most."""
        problem = unreachable_reason(error, self._base_url)
        # 0.5, 1, 2, 4 s ...: the waits so far sum to base * (2^(attempt-1) - 1)
        delay = self._retry.backoff_base_seconds * 2 ** (attempt - 1)
        waited = self._retry.backoff_base_seconds * (2 ** (attempt - 1) - 1)
        if waited + delay > self._retry.connect_retry_seconds:
            raise ApiUnreachable(problem) from None
        self._report(f"{what}: {problem}; retry {attempt + 1} in {delay:.1f}s")
        self._sleep(delay)

    def _report(self, line: str) -> None:
        log.info("%s", line)
        if self._progress is not None:
            self._progress(line)

    # -- token -------------------------------------------------------------------------------
    def _current_token(self) -> str:
        with self._token_lock:
            # Renew a little early: a token used at the edge of its life is refused mid-page.
            if self._token is None or time.monotonic() >= self._token_expires - 5:
                self._token, lifetime = self._fetch_token()
                self._token_expires = time.monotonic() + lifetime
            return self._token

    def _invalidate_token(self, token: str) -> None:
        with self._token_lock:
            if self._token == token:  # another thread may have renewed it already
                self._token = None

    def _fetch_token(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
        }
        what = "POST /oauth2/client_credential/gettoken"
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.post("/oauth2/client_credential/gettoken", data=form)
                if response.status_code in (400, 401):
                    raise AuthenticationError(
                        "the API refused the client credentials (HTTP "
                        f"{response.status_code}); check INSIGHTS_API_CLIENT_ID and "
                        "INSIGHTS_API_CLIENT_SECRET"
                    )
                if response.status_code == 429:
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    raise _Transient("429 Too Many Requests", retry_after)
                if response.status_code in TRANSIENT_STATUS:
                    raise _Transient(f"{response.status_code} server error")
                if response.status_code != 200:
                    raise ApiError(f"{what}: HTTP {response.status_code}")
                try:
                    body = orjson.loads(response.content)
                    return str(body["access_token"]), float(body.get("expires_in") or 300)
                except (ValueError, KeyError, TypeError):
                    raise _Transient("token answer is not the expected JSON") from None
            except _Transient as problem:
                self._wait_before_retry(what, problem, attempt)
            except httpx.ConnectError as error:
                self._wait_before_reconnect(what, error, attempt)
            except httpx.TransportError as error:
                self._wait_before_retry(what, _Transient(type(error).__name__), attempt)


def unreachable_reason(error: httpx.ConnectError, base_url: str) -> str:
    text = str(error).lower()
    if any(marker in text for marker in ("name or service", "name resolution", "nodename",
                                         "getaddrinfo", "no address")):
        host = httpx.URL(base_url).host
        return f"host {host} not found (DNS) at {base_url}"
    if "refused" in text:
        return f"connection refused at {base_url}"
    return f"cannot connect to {base_url} ({_short(str(error), 120)})"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
