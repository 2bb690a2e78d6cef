"""Who may see which client: the one place every view and endpoint goes through.

A member sees only the active clients assigned to them (marts.bridge_team_member_clients),
and only while the member is active and one of their roles sees client documents
(dim_team_members.sees_client_documents, from the seed team_member_role_access: a client
manager "sees no documents" on the platform). On PostgreSQL row-level security filters the
same rows again; this filter stays as defense in depth. A client outside the member's set
raises OutOfScope, which the page answers with 404, so it never reveals that the client exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.read_model.connection import Reader

MEMBER_BY_EMAIL_SQL = """
select user_id, email, display_name, roles
from marts.dim_team_members
where lower(email) = lower(?) and is_active
"""

MEMBER_BY_ID_SQL = """
select user_id, email, display_name, roles
from marts.dim_team_members
where user_id = ? and is_active
"""

ALLOWED_CLIENTS_SQL = """
select c.client_id, c.client_name
from marts.bridge_team_member_clients b
inner join marts.dim_team_members m on m.user_id = b.user_id
inner join marts.dim_clients c on c.client_id = b.client_id
where b.user_id = ? and m.is_active and c.is_active and m.sees_client_documents
order by c.client_name, c.client_id
"""


class OutOfScope(LookupError):
    """A client the member may not see (or that does not exist: the two are not told apart)."""


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    display_name: str
    roles: str


@dataclass(frozen=True)
class Scope:
    """The signed-in member and the clients they may see (client_id -> client_name)."""

    member: Member
    clients: dict[str, str]

    def require(self, client_id: str) -> str:
        """The client's id when the member may see it; otherwise OutOfScope."""
        if client_id not in self.clients:
            raise OutOfScope(client_id)
        return client_id

    def in_clause(self, column: str = "client_id") -> tuple[str, list[str]]:
        """`column in (?, ...)` over the member's clients; matches nothing when they have none."""
        ids = sorted(self.clients)
        if not ids:
            return "1 = 0", []
        return f"{column} in ({', '.join('?' for _ in ids)})", ids


def find_member(reader: Reader, *, email: str | None = None,
                user_id: str | None = None) -> Member | None:
    if email:
        row = reader.one(MEMBER_BY_EMAIL_SQL, [email.strip()])
    elif user_id:
        row = reader.one(MEMBER_BY_ID_SQL, [user_id])
    else:
        return None
    return Member(**row) if row else None


def scope_for(reader: Reader, member: Member) -> Scope:
    rows = reader.rows(ALLOWED_CLIENTS_SQL, [member.user_id])
    return Scope(member, {row["client_id"]: row["client_name"] for row in rows})
