"""Resources that hand out Client Spaces API clients.

`ClientSpacesApi` reads the API described by the settings. `SimulatedClientSpacesApi` starts
the built-in simulator on loopback (once) and points the same HTTP client at it: the demo and
the tests exercise the real client over real HTTP, never a mock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pipelines.resources.api_client import (
    ApiUnreachable,
    AuthenticationError,
    ClientSpacesClient,
    RetryPolicy,
)
from pipelines.resources.settings_resource import InsightsSettings

# After a refused connection or refused credentials, the other steps of the same run fail at
# once with the same error instead of waiting (or sending a wrong secret) again.
FAIL_FAST_SECONDS = 120.0


class ClientSpacesApi:
    def __init__(self, settings: InsightsSettings, retry: RetryPolicy | None = None):
        self._settings = settings
        self._retry = retry
        self._permanent: tuple[float, Exception] | None = None

    def retry_policy(self) -> RetryPolicy:
        return self._retry or RetryPolicy(max_attempts=self._settings.get().api_max_attempts)

    def describe(self) -> str:
        return self._settings.get().api_url or "(not configured)"

    def client(self, progress: Callable[[str], None] | None = None) -> ClientSpacesClient:
        settings = self._settings.get()
        settings.require_api()
        return self._client_for(settings.api_url, settings.api_client_id,
                                settings.api_client_secret, progress)

    def _client_for(self, url: str, client_id: str, client_secret: str,
                    progress: Callable[[str], None] | None = None) -> ClientSpacesClient:
        settings = self._settings.get()
        return _FailFastClient(
            self, url, client_id, client_secret,
            timeout_seconds=settings.api_timeout_seconds,
            retry=self.retry_policy(),
            page_size=settings.api_page_size,
            progress=progress,
        )

    def remember_permanent(self, error: Exception) -> None:
        self._permanent = (time.monotonic(), error)

    def check_permanent(self) -> None:
        if self._permanent is not None:
            when, error = self._permanent
            if time.monotonic() - when < FAIL_FAST_SECONDS:
                raise type(error)(str(error))
            self._permanent = None


class _FailFastClient(ClientSpacesClient):
    """The real client, sharing a permanent failure with the other steps of the run."""

    def __init__(self, owner: ClientSpacesApi, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner = owner

    def _current_token(self) -> str:
        self._owner.check_permanent()
        try:
            return super()._current_token()
        except (ApiUnreachable, AuthenticationError) as error:
            self._owner.remember_permanent(error)
            raise


class SimulatedClientSpacesApi(ClientSpacesApi):
    """The simulator-backed implementation: a real server on a free loopback port."""

    def __init__(self, settings: InsightsSettings, world=None, faults=None, clock=None,
                 retry: RetryPolicy | None = None):
        super().__init__(settings, retry)
        self._world, self._faults, self._clock = world, faults, clock
        self._server = None
        self._lock = threading.Lock()

    @property
    def server(self):
        with self._lock:
            if self._server is None:
                from pipelines.simulator import SimulatorServer, WorldConfig, build_world

                world = self._world or build_world(WorldConfig())
                self._server = SimulatorServer(world, clock=self._clock, faults=self._faults)
                self._server.start()
            return self._server

    def describe(self) -> str:
        return f"built-in simulator at {self.server.url}"

    def client(self, progress: Callable[[str], None] | None = None) -> ClientSpacesClient:
        server = self.server
        return self._client_for(server.url, server.client_id, server.client_secret, progress)

    def close(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
