"""Names of the PostgreSQL roles that carry access to the marts (one place, used by the publish
step, the access audit and the web page).

- `insights_bi`: NOLOGIN group role. It has USAGE on schema `marts` and SELECT on its tables, owns
  nothing, and is neither SUPERUSER nor BYPASSRLS. Every member role belongs to it.
- one LOGIN role per team member, named by `member_role_name(user_id)`. Its rows are the clients
  it is assigned to (row-level security driven by `marts.bridge_team_member_clients`). The
  mapping from role to team member is the table `insights_access.member_roles`.
- `insights_web`: the login of the built-in web page. It is granted every member role, so it
  can `SET ROLE` to the member signed in and read exactly what that member may see; on its own
  it sees no client rows.
"""

from __future__ import annotations

import hashlib
import re

BI_ROLE = "insights_bi"
WEB_ROLE = "insights_web"
ACCESS_SCHEMA = "insights_access"
MEMBER_ROLE_PREFIX = "insights_member_"
_MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names, so two members could collide
_PLAIN_ID = re.compile(r"[a-z0-9-]+")


def member_role_name(user_id: str) -> str:
    """The PostgreSQL role of a team member: lowercase, safe without quoting, unique."""
    if _PLAIN_ID.fullmatch(user_id):
        # lowercase letters, digits and hyphens (UUIDs): hyphen -> underscore is one-to-one
        name = MEMBER_ROLE_PREFIX + user_id.replace("-", "_")
        if len(name) <= _MAX_IDENTIFIER:
            return name
    slug = re.sub(r"[^a-z0-9_]+", "_", user_id.lower()).strip("_")
    name = MEMBER_ROLE_PREFIX + slug
    # other ids (case, punctuation, underscores) or long ones get a hash suffix, so two
    # distinct ids never map to one role
    digest = hashlib.sha256(user_id.encode()).hexdigest()[:10]
    return f"{name[: _MAX_IDENTIFIER - 11]}_{digest}"
