"""Who is asking. In production the firm's single sign-on or reverse proxy sets a trusted
request header (INSIGHTS_SERVE_IDENTITY_HEADER, default X-Forwarded-Email) to the member's
e-mail address, as in dim_team_members.email; the page must only be reachable through that
proxy. In demo mode (`insights serve --demo`, for trying out only) a cookie set by the member
picker stands in for it. No identity, or an unknown or inactive member: nothing is shown."""

from __future__ import annotations

from fastapi import Request

from pipelines.read_model.connection import Reader
from pipelines.read_model.scope import Member, find_member

DEMO_COOKIE = "insights_demo_member"


class NotSignedIn(Exception):
    """The request carries no identity of an active team member."""


def identify(request: Request, reader: Reader, header: str, demo: bool) -> Member:
    email = request.headers.get(header)
    member = None
    if email:
        member = find_member(reader, email=email)
    elif demo:
        member = find_member(reader, user_id=request.cookies.get(DEMO_COOKIE))
    if member is None:
        raise NotSignedIn()
    return member
