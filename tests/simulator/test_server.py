"""The HTTP server over loopback with httpx: auth, lists, documents, errors and the clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import polars as pl
import pytest

from pipelines.simulator import SimClock, SimulatorServer, World
from pipelines.simulator.render import DOCUMENT_FIELDS
from tests.simulator.support import ANCHOR, DOCUMENTS_PATH, TOKEN_PATH, get_token, parse_instant


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[SimulatorServer]:
    with SimulatorServer(world, clock=SimClock(ANCHOR)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: SimulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        yield http


def read_all(client: httpx.Client, path: str, key: str, **params) -> list[dict]:
    records, token = [], None
    while True:
        response = client.get(path, params={**params, **({"page_token": token} if token else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        records += body[key]
        token = body["next_page_token"]
        if token is None:
            return records


def second_biggest_space(world: World) -> str:
    sizes = world.current_documents(ANCHOR).group_by("space_id").len().sort("len", "space_id")
    return sizes["space_id"][-2]


def test_token_flow(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        response = http.post(
            TOKEN_PATH,
            data={"grant_type": "client_credentials", "client_id": server.client_id,
                  "client_secret": server.client_secret},
        )  # fmt: skip
        body = response.json()
        assert response.status_code == 200
        assert body["token_type"] == "Bearer" and body["expires_in"] == 300
        spaces = http.get(
            "/entitystore/v1/spaces", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert spaces.status_code == 200


def test_wrong_credentials_and_bad_tokens_are_401(server: SimulatorServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        wrong = http.post(
            TOKEN_PATH,
            data={
                "grant_type": "client_credentials",
                "client_id": server.client_id,
                "client_secret": "nope",
            },
        )
        assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
        assert server.client_secret not in wrong.text
        grant = http.post(TOKEN_PATH, data={"grant_type": "password"})
        assert grant.status_code == 400
        assert http.get("/partner/v1/users").status_code == 401
        unknown = http.get("/partner/v1/users", headers={"Authorization": "Bearer made-up"})
        assert unknown.status_code == 401


def test_token_expires_in_real_time(small_sim_world: World) -> None:
    with (
        SimulatorServer(small_sim_world, token_ttl_seconds=0.3) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        headers = {"Authorization": f"Bearer {get_token(http)}"}
        assert http.get("/partner/v1/users", headers=headers).status_code == 200
        time.sleep(0.4)
        assert http.get("/partner/v1/users", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("path", "key", "method"),
    [("/entitystore/v1/spaces", "spaces", "spaces_at"), ("/partner/v1/users", "users", "users_at"),
     ("/partner/v1/assignments", "assignments", "assignments_at")],
)  # fmt: skip
def test_lists_page_to_the_world_truth(client, world: World, path, key, method) -> None:
    assert read_all(client, path, key, limit=7) == getattr(world, method)(ANCHOR)


def test_paging_to_exhaustion_equals_current_documents(client, world: World) -> None:
    accessible = [
        s["id"] for s in world.spaces_at(ANCHOR) if world.space_accessible(s["id"], ANCHOR)
    ]
    assert len(accessible) > 50
    served = []
    for space_id in accessible:
        served += read_all(client, DOCUMENTS_PATH.format(space_id), "documents", limit=1000)
    keys = {(r["document_id"], parse_instant(r["updated_at"])) for r in served}
    assert len(keys) == len(served)
    truth = world.current_documents(ANCHOR).filter(pl.col("space_id").is_in(accessible))
    assert keys == set(truth.select("document_id", "updated_at").iter_rows())


def test_documents_follow_the_contract(client, world: World) -> None:
    space_id = (
        world.current_documents(ANCHOR).group_by("space_id").len().sort("len")["space_id"][-2]
    )
    records = read_all(client, DOCUMENTS_PATH.format(space_id), "documents", limit=500)
    assert all(set(DOCUMENT_FIELDS) | {"source_reference"} == set(r) for r in records)
    assert all(r["space_id"] == space_id for r in records)
    suffixes = {r["updated_at"][-6:] if r["updated_at"][-1] != "Z" else "Z" for r in records}
    assert {"Z", "+01:00", "+02:00", "-05:00", "+05:30"} <= suffixes
    assert any("." in r["updated_at"] for r in records) and any(
        "." not in r["updated_at"] for r in records)  # fmt: skip


def test_updated_gte_accepts_any_offset(client, world: World) -> None:
    space_id = world.current_documents(ANCHOR)["space_id"][0]
    since = ANCHOR - timedelta(days=20)
    in_utc = read_all(client, DOCUMENTS_PATH.format(space_id), "documents",
                      updated_gte="2026-04-11T00:00:00Z")  # fmt: skip
    in_cest = read_all(client, DOCUMENTS_PATH.format(space_id), "documents",
                       updated_gte="2026-04-11T02:00:00+02:00")  # fmt: skip
    assert in_utc == in_cest and all(parse_instant(r["updated_at"]) >= since for r in in_utc)


def test_access_and_request_errors(client, world: World) -> None:
    revoked = next(iter(world.revoked_space_ids))
    ended = [s["id"] for s in world.spaces_at(ANCHOR) if s["link_status"] != "ACTIVE"]
    for space_id in [revoked, *ended]:
        response = client.get(DOCUMENTS_PATH.format(space_id))
        assert (response.status_code, response.json()) == (403, {"error": "access_revoked"})
    unknown = client.get(DOCUMENTS_PATH.format("5f0c1a9e-0000-4000-8000-000000000001"))
    assert unknown.status_code == 404
    space_id = world.current_documents(ANCHOR)["space_id"][0]
    path = DOCUMENTS_PATH.format(space_id)
    assert len(client.get(path).json()["documents"]) == 100
    for limit in ("0", "1001", "ten"):
        assert client.get(path, params={"limit": limit}).status_code == 400
    assert client.get(path, params={"page_token": "garbage!"}).status_code == 400
    assert client.get(path, params={"updated_gte": "yesterday"}).status_code == 400
    assert client.get("/partner/v1/nothing").status_code == 404


def test_clock_advance_reveals_new_documents(world: World) -> None:
    clock = SimClock(ANCHOR)
    space_id = (
        world.current_documents(ANCHOR).group_by("space_id").len().sort("len")["space_id"][-2]
    )
    path = DOCUMENTS_PATH.format(space_id)
    with SimulatorServer(world, clock=clock) as server, httpx.Client(base_url=server.url) as http:
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        first = read_all(http, path, "documents", limit=1000)
        mark = max(parse_instant(r["updated_at"]) for r in first)
        clock.advance(timedelta(days=10))
        since = (mark - timedelta(minutes=10)).isoformat()
        second = read_all(http, path, "documents", limit=1000, updated_gte=since)
    known = {r["document_id"] for r in first}
    arrivals = [r for r in second if r["document_id"] not in known]
    assert arrivals and all(parse_instant(r["received_at"]) > ANCHOR - timedelta(minutes=10)
                            for r in arrivals)  # fmt: skip
    truth = world.current_documents(ANCHOR + timedelta(days=10), space_id)
    expected = truth.filter(pl.col("updated_at") >= parse_instant(since))
    assert {r["document_id"] for r in second} == set(expected["document_id"])


def test_each_data_request_ticks_the_clock(small_sim_world: World) -> None:
    clock = SimClock(ANCHOR, tick_per_request=timedelta(seconds=30))
    with (
        SimulatorServer(small_sim_world, clock=clock) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        http.headers["Authorization"] = f"Bearer {get_token(http)}"
        for _ in range(5):
            http.get("/partner/v1/users")
        assert clock.ticks == 5 and clock.now() == ANCHOR + timedelta(seconds=150)
        assert server.stats["data_requests"] == 5 and server.stats["token_requests"] == 1
