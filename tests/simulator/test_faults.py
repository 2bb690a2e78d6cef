"""Every injected fault really happens at rate 1.0, and invalid records are reproducible."""

from __future__ import annotations

import email.utils
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import polars as pl
import pytest

from pipelines.simulator import FaultConfig, SimClock, SimulatorServer, World
from pipelines.simulator.faults import FOREIGN_SPACE_ID, INVALID_KINDS, FaultDecider
from tests.simulator.support import ANCHOR, DOCUMENTS_PATH, TOKEN_PATH, parse_instant

USERS = "/partner/v1/users"


@contextmanager
def faulty(world: World, **faults) -> Iterator[tuple[SimulatorServer, httpx.Client]]:
    server = SimulatorServer(world, clock=SimClock(ANCHOR), faults=FaultConfig(seed=3, **faults))
    with server, httpx.Client(base_url=server.url, timeout=5.0) as http:
        # Issued directly: with some faults at 1.0 the token endpoint itself never answers 200.
        http.headers["Authorization"] = f"Bearer {server.tokens.issue()}"
        yield server, http


def test_rate_limit_answers_429_with_retry_after(small_sim_world: World) -> None:
    with faulty(small_sim_world, rate_limit=1.0, retry_after="2") as (server, http):
        token = http.post(TOKEN_PATH, data={"grant_type": "client_credentials"})
        assert token.status_code == 429
        answers = [http.get(USERS) for _ in range(30)]
    assert {a.status_code for a in answers} == {429}
    values = {a.headers["Retry-After"] for a in answers}
    assert "2" in values
    dates = [email.utils.parsedate_to_datetime(v) for v in values if v != "2"]
    assert dates, "some Retry-After values are HTTP dates"
    assert server.stats["fault_rate_limit"] == 31


def test_server_errors_vary_in_status_and_body(small_sim_world: World) -> None:
    with faulty(small_sim_world, server_error=1.0) as (_, http):
        assert http.post(TOKEN_PATH, data={}).status_code in {500, 502, 503, 504}
        answers = [http.get(USERS) for _ in range(40)]
    assert {a.status_code for a in answers} == {500, 502, 503, 504}
    kinds = {a.headers["Content-Type"].split(";")[0] for a in answers}
    assert kinds == {"application/json", "text/html"}


def test_connection_reset_gives_no_response(small_sim_world: World) -> None:
    with faulty(small_sim_world, connection_reset=1.0) as (server, http):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            http.get(USERS)
        assert server.stats["fault_connection_reset"] == 1


def test_timeout_outlasts_a_short_client_timeout(small_sim_world: World) -> None:
    faults = {"timeout": 1.0, "timeout_sleep_seconds": 1.0}
    with faulty(small_sim_world, **faults) as (_, http), pytest.raises(httpx.ReadTimeout):
        http.get(USERS, timeout=0.3)


def test_truncated_json_has_a_matching_content_length(small_sim_world: World) -> None:
    with faulty(small_sim_world, truncated_json=1.0) as (_, http):
        response = http.get(USERS)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_token_revoked_forces_a_new_token(small_sim_world: World) -> None:
    with faulty(small_sim_world, token_revoked=1.0) as (server, http):
        assert http.get(USERS).status_code == 401
        assert http.get(USERS).status_code == 401  # the token is really gone now
        http.headers["Authorization"] = f"Bearer {server.tokens.issue()}"
        assert http.get(USERS).status_code == 401
        assert server.stats["fault_token_revoked"] == 2


def classify(record: dict, space_id: str) -> str | None:
    if "document_id" not in record:
        return "missing_document_id"
    if record["category"] == "CREDIT_CARD_SLIP":
        return "unknown_category"
    if record["received_at"].startswith("2026-13-45"):
        return "unparseable_received_at"
    if record["space_id"] != space_id:
        assert record["space_id"] == FOREIGN_SPACE_ID
        return "space_id_mismatch"
    if record["total_incl_vat"] == "12,50 EUR":
        return "amount_not_decimal"
    return None


def test_invalid_records_are_served_as_the_world_predicts(world: World) -> None:
    faults = FaultConfig(seed=5, invalid_records=0.2)
    space_id = (
        world.current_documents(ANCHOR).group_by("space_id").len().sort("len")["space_id"][-2]
    )
    records, cursor = [], None
    while True:
        page, cursor = world.document_page(space_id, ANCHOR, None, cursor, 1000, faults)
        records += page
        if cursor is None:
            break
    observed = Counter(classify(r, space_id) for r in records)
    assert set(observed) - {None} == set(INVALID_KINDS)
    served = world.current_documents(ANCHOR, space_id).select("document_id", "updated_at")
    predicted = served.join(world.invalid_versions(faults), on=["document_id", "updated_at"])
    assert Counter(predicted["invalid_kind"].cast(pl.String)) == Counter(
        {k: v for k, v in observed.items() if k is not None})  # fmt: skip
    valid = {
        (r["document_id"], parse_instant(r["updated_at"]))
        for r in records
        if classify(r, space_id) is None
    }
    assert valid.isdisjoint(set(predicted.select("document_id", "updated_at").iter_rows()))
    again, _ = world.document_page(space_id, ANCHOR, None, None, 1000, faults)
    assert again == records[:1000], "a re-read of the same versions is invalid in the same way"


def test_invalid_records_over_http(small_sim_world: World) -> None:
    space_id = small_sim_world.current_documents(ANCHOR)["space_id"][0]
    with faulty(small_sim_world, invalid_records=1.0) as (_, http):
        response = http.get(DOCUMENTS_PATH.format(space_id), params={"limit": 1000})
    records = response.json()["documents"]
    assert records and all(classify(r, space_id) is not None for r in records)


def test_fault_decisions_follow_the_seed() -> None:
    config = FaultConfig(seed=9, rate_limit=0.3, server_error=0.3, truncated_json=0.3)
    first, second = FaultDecider(config), FaultDecider(config)
    sequence = [first.for_request(token_request=False) for _ in range(50)]
    assert sequence == [second.for_request(token_request=False) for _ in range(50)]
    assert {name for name, _ in sequence} == {None, "rate_limit", "server_error", "truncated_json"}
