"""Constants and helpers shared by the simulator tests."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from pipelines.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

ANCHOR = datetime(2026, 5, 1, tzinfo=UTC)
TOKEN_PATH = "/oauth2/client_credential/gettoken"
DOCUMENTS_PATH = "/datastore/v1/spaces/{}/documents"


def get_token(client: httpx.Client) -> str:
    response = client.post(
        TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


def parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment.astimezone(UTC)
