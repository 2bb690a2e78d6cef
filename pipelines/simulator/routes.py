"""Data endpoints as functions of (world, query, now): lists, documents, paging, validation."""

from __future__ import annotations

import json
import re
from datetime import datetime

from pipelines.simulator.config import FaultConfig
from pipelines.simulator.listings import page_of
from pipelines.simulator.render import render_instant
from pipelines.simulator.spaces import to_us
from pipelines.simulator.tokens import (
    BadPageToken,
    decode_page_token,
    encode_page_token,
    parse_timestamp,
)
from pipelines.simulator.world import World

LIST_PATHS = {
    "/entitystore/v1/spaces": "spaces",
    "/partner/v1/users": "users",
    "/partner/v1/assignments": "assignments",
}
DOCUMENTS_PATH = re.compile(r"^/datastore/v1/spaces/([^/]+)/documents/?$")


class ClientError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body)
        self.status, self.body = status, body


def route(
    world: World, faults: FaultConfig, path: str, query: dict[str, str], now: datetime
) -> bytes:
    """The 200 body for a data request, or ClientError for 400/403/404."""
    limit = _limit(query.get("limit"))
    if path in LIST_PATHS:
        return _listing(world, LIST_PATHS[path], query, now, limit, faults.list_share)
    match = DOCUMENTS_PATH.match(path)
    if not match:
        raise ClientError(404, {"error": "not_found"})
    return _documents(world, faults, match.group(1), query, now, limit)


def _listing(
    world: World, kind: str, query: dict[str, str], now: datetime, limit: int, share: float
) -> bytes:
    after = None
    if query.get("page_token"):
        payload = _page_token(query["page_token"])
        if payload.get("list") != kind:
            raise ClientError(
                400, {"error": "invalid_request", "message": "page_token of another list"}
            )
        after = payload.get("after")
        if not isinstance(after, list):
            raise ClientError(400, {"error": "invalid_request", "message": "bad page_token"})
    items = world.listing(kind, now)
    if share < 1.0:  # volume mode: the source suddenly serves only part of the list
        items = items[: int(len(items) * share)]
    records, next_key = page_of(items, after, limit)
    token = None if next_key is None else encode_page_token({"list": kind, "after": list(next_key)})
    return json.dumps({kind: records, "next_page_token": token}, ensure_ascii=False).encode()


def _documents(
    world: World,
    faults: FaultConfig,
    space_id: str,
    query: dict[str, str],
    now: datetime,
    limit: int,
) -> bytes:
    if not world.has_space(space_id, now):
        raise ClientError(404, {"error": "not_found"})
    if not world.space_accessible(space_id, now):
        raise ClientError(403, {"error": "access_revoked"})
    updated_gte, after = _timestamp(query.get("updated_gte")), None
    if query.get("page_token"):
        payload = _page_token(query["page_token"])
        try:
            if payload["space_id"] != space_id:
                raise ClientError(
                    400, {"error": "invalid_request", "message": "page_token of another space"}
                )
            after = (parse_timestamp(payload["updated_at"]), str(payload["document_id"]))
            updated_gte = _timestamp(payload.get("updated_gte"))
        except (KeyError, TypeError, ValueError) as error:
            raise ClientError(
                400, {"error": "invalid_request", "message": "bad page_token"}
            ) from error
    documents, cursor = world.document_page_json(space_id, now, updated_gte, after, limit, faults)
    token = None
    if cursor is not None:
        token = encode_page_token(
            {
                "space_id": space_id,
                "updated_at": render_instant(to_us(cursor[0])),
                "document_id": cursor[1],
                "updated_gte": None if updated_gte is None else render_instant(to_us(updated_gte)),
            }
        )
    return b'{"documents":' + documents + b',"next_page_token":' + json.dumps(token).encode() + b"}"


def _limit(text: str | None) -> int:
    if text is None:
        return 100
    if not text.strip().isdigit() or not 1 <= int(text) <= 1000:
        raise ClientError(
            400, {"error": "invalid_request", "message": "limit must be an integer 1..1000"}
        )
    return int(text)


def _timestamp(text: str | None) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        return parse_timestamp(text)
    except ValueError as error:
        raise ClientError(
            400,
            {"error": "invalid_request", "message": "updated_gte must be an RFC 3339 timestamp"},
        ) from error


def _page_token(text: str) -> dict:
    try:
        return decode_page_token(text)
    except BadPageToken as error:
        raise ClientError(400, {"error": "invalid_request", "message": str(error)}) from error
