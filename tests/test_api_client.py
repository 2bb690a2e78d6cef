"""The API client against the real simulator over loopback HTTP, with injected faults."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime

import pytest

from pipelines.resources.api_client import (
    ApiError,
    ApiUnreachable,
    AuthenticationError,
    ClientSpacesClient,
    RetryPolicy,
    SpaceUnavailable,
    parse_retry_after,
)
from pipelines.simulator import FaultConfig
from tests.conftest import ANCHOR, client_for, running_simulator


def _biggest_readable_space(world) -> str:
    docs = world.current_documents(ANCHOR)
    readable = [s["id"] for s in world.spaces_at(ANCHOR) if world.space_accessible(s["id"], ANCHOR)]
    counts = docs.filter(docs["space_id"].is_in(readable))["space_id"].value_counts(sort=True)
    return counts["space_id"][0]


def _truth(world, space_id):
    docs = world.current_documents(ANCHOR, space_id=space_id)
    return set(zip(docs["document_id"], docs["updated_at"], strict=True))


def _read_all(client, space_id):
    seen = []
    for page in client.iter_document_pages(space_id):
        seen.extend((d["document_id"], datetime.fromisoformat(d["updated_at"])) for d in page)
    return seen


def test_paging_reads_every_document_exactly_once(small_world):
    space_id = _biggest_readable_space(small_world)
    with running_simulator(small_world) as server, client_for(server, page_size=37) as client:
        seen = _read_all(client, space_id)
        assert len(seen) == len(set(seen))
        assert set(seen) == _truth(small_world, space_id)
        assert len(client.list_spaces()) == len(small_world.spaces_at(ANCHOR))


def test_bad_credentials_fail_with_one_clear_error_that_hides_the_secret(small_world):
    with running_simulator(small_world) as server:
        client = ClientSpacesClient(server.url, server.client_id, "wrong-s3cret-value",
                                    retry=RetryPolicy(max_attempts=3))
        with client, pytest.raises(AuthenticationError) as caught:
            client.list_spaces()
    message = str(caught.value)
    assert "INSIGHTS_API_CLIENT_SECRET" in message
    assert "wrong-s3cret-value" not in message
    assert "wrong-s3cret-value" not in repr(caught.value.__context__)


def test_retry_after_is_honoured_and_attempts_are_bounded(small_world):
    waits: list[float] = []
    faults = FaultConfig(seed=1, rate_limit=1.0, retry_after="2", retry_after_http_date_share=0.0)
    with running_simulator(small_world, faults=faults) as server:
        client = client_for(server, retry=RetryPolicy(max_attempts=4), sleep=waits.append)
        with client, pytest.raises(ApiError, match="gave up after 4 attempts.*429"):
            client.list_spaces()
    assert waits == [2.0, 2.0, 2.0]


def test_retry_after_as_http_date():
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Tue, 31 Mar 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


def test_backoff_is_exponential_with_full_jitter():
    policy = RetryPolicy(backoff_base_seconds=0.5, backoff_max_seconds=4.0)
    rng = random.Random(3)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        draws = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling * 0.8  # jitter spreads over the whole range


@pytest.mark.parametrize(
    ("fault", "options"),
    [
        ("rate_limit", {"retry_after": "0"}),
        ("server_error", {}),
        ("connection_reset", {}),
        ("timeout", {"timeout_sleep_seconds": 0.6}),
        ("truncated_json", {}),
        ("token_revoked", {}),
    ],
)
def test_each_transient_fault_is_survived(small_world, fault, options):
    space_id = _biggest_readable_space(small_world)
    faults = FaultConfig(seed=5, **{fault: 0.4}, **options)
    with running_simulator(small_world, faults=faults) as server:
        with client_for(server, page_size=50, timeout=0.3) as client:
            seen = _read_all(client, space_id)
        injected = server.stats.get(f"fault_{fault}", 0)
    assert injected > 0, f"the simulator injected no {fault}"
    assert len(seen) == len(set(seen))
    assert set(seen) == _truth(small_world, space_id)


def test_a_second_401_in_a_row_is_fatal(small_world):
    faults = FaultConfig(token_revoked=1.0)
    with (
        running_simulator(small_world, faults=faults) as server,
        client_for(server) as client,
        pytest.raises(AuthenticationError, match="401 twice"),
    ):
        client.list_users()


def test_expired_tokens_are_renewed(small_world):
    with running_simulator(small_world, token_ttl_seconds=1) as server:
        with client_for(server) as client:
            client.list_users()
            time.sleep(1.3)
            assert client.list_users()
        assert server.stats.get("token_requests", 0) >= 2


def test_revoked_and_unknown_spaces_are_reported_not_raised_as_failures(small_world):
    revoked = [s["id"] for s in small_world.spaces_at(ANCHOR)
               if not small_world.space_accessible(s["id"], ANCHOR)]
    assert revoked
    with running_simulator(small_world) as server, client_for(server) as client:
        with pytest.raises(SpaceUnavailable) as caught:
            _read_all(client, revoked[0])
        assert caught.value.reason == "access_revoked"
        with pytest.raises(SpaceUnavailable) as caught:
            _read_all(client, "00000000-0000-4000-8000-000000000000")
        assert caught.value.reason == "not_found"


def test_no_secret_or_token_in_any_log_line(small_world, caplog):
    caplog.set_level(logging.DEBUG)
    faults = FaultConfig(seed=2, server_error=0.3, token_revoked=0.3, rate_limit=0.2,
                         retry_after="0")
    space_id = _biggest_readable_space(small_world)
    with running_simulator(small_world, faults=faults) as server:
        with client_for(server) as client:
            _read_all(client, space_id)
            token = client._current_token()
        text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retry" in text  # the retries were logged...
    assert server.client_secret not in text  # ...without the secret
    leaks = [r.getMessage()[:500] for r in caplog.records if token in r.getMessage()]
    assert not leaks, leaks
    assert "Bearer " + token not in text


def test_a_refused_connection_is_retried_briefly_then_reported_once():
    """Nothing listens at the port: a few quick retries (seconds, not minutes), each a
    progress line, then one error naming the address; max_attempts is for busy servers."""
    waits: list[float] = []
    lines: list[str] = []
    client = ClientSpacesClient("http://127.0.0.1:9", "id", "secret", sleep=waits.append,
                                retry=RetryPolicy(max_attempts=50), timeout_seconds=1,
                                progress=lines.append)
    with client, pytest.raises(ApiUnreachable) as raised:
        client.list_spaces()
    assert str(raised.value) == "connection refused at http://127.0.0.1:9"
    assert 2 <= len(waits) <= 5 and sum(waits) <= RetryPolicy().connect_retry_seconds
    assert len(lines) == len(waits)
    assert all("connection refused at http://127.0.0.1:9; retry" in line for line in lines)


def test_an_unknown_host_is_reported_as_a_dns_failure():
    client = ClientSpacesClient("http://no-such-host.invalid", "id", "secret",
                                sleep=lambda _s: None, timeout_seconds=2)
    with client, pytest.raises(ApiUnreachable, match=r"host no-such-host.invalid not found "
                                                     r"\(DNS\) at http://no-such-host.invalid"):
        client.list_spaces()


def test_server_errors_keep_the_backoff_up_to_max_attempts(small_world):
    waits: list[float] = []
    lines: list[str] = []
    with running_simulator(small_world, faults=FaultConfig(server_error=1.0)) as server, \
            client_for(server, retry=RetryPolicy(max_attempts=4), sleep=waits.append,
                       progress=lines.append) as client, \
            pytest.raises(ApiError, match="gave up after 4 attempts; last problem: 50"):
        client.list_spaces()
    assert len(waits) == 3 and len(lines) == 3
    assert "retry 2/4" in lines[0] and "retry 4/4" in lines[2]
