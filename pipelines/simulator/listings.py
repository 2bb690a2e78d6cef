"""Spaces, users and assignments as the API serves them at a given instant."""

from __future__ import annotations

import bisect

import polars as pl

from pipelines.simulator.render import render_instant

ListItem = tuple[tuple, dict]  # (keyset sort key, API record)


class Listings:
    """Small entity tables: plain Python per call is fast enough (thousands of rows)."""

    def __init__(
        self,
        spaces: pl.DataFrame,
        link_events: pl.DataFrame,
        users: pl.DataFrame,
        assignments: pl.DataFrame,
    ) -> None:
        self._spaces = spaces.sort("created_us", "id").to_dicts()
        self._events: dict[int, tuple[list[int], list[str]]] = {}
        for index, at, status in link_events.sort("space_idx", "at_us").iter_rows():
            times, statuses = self._events.setdefault(index, ([], []))
            times.append(at)
            statuses.append(status)
        self._users = users.sort("created_us", "id").to_dicts()
        self._user_ids = dict(zip(users["user_idx"], users["id"], strict=True))
        self._space_ids = dict(zip(spaces["space_idx"], spaces["id"], strict=True))
        self._space_created = dict(zip(spaces["space_idx"], spaces["created_us"], strict=True))
        self._assignments = assignments.to_dicts()

    def link_status(self, space_idx: int, now_us: int) -> tuple[str | None, int | None]:
        """(status, time it was set) at now; (None, None) before the space exists."""
        times, statuses = self._events[space_idx]
        position = bisect.bisect_right(times, now_us)
        if position == 0:
            return None, None
        return statuses[position - 1], times[position - 1]

    def spaces(self, now_us: int) -> list[ListItem]:
        items = []
        for space in self._spaces:
            status, changed = self.link_status(space["space_idx"], now_us)
            if status is None:
                continue
            offset = space["render_offset_minutes"]
            items.append(
                (
                    (space["created_us"], space["id"]),
                    {
                        "id": space["id"],
                        "name": space["name"],
                        "type": space["type"],
                        "vat_number": space["vat_number"],
                        "country": space["country"],
                        "link_status": status,
                        "vat_filing_frequency": space["vat_filing_frequency"],
                        "vat_deadline_day": space["vat_deadline_day"],
                        "created_at": render_instant(space["created_us"], offset),
                        "updated_at": render_instant(changed, offset),
                    },
                )
            )
        return items

    def users(self, now_us: int) -> list[ListItem]:
        items = []
        for user in self._users:
            if user["created_us"] > now_us:
                continue
            left = user["left_us"] is not None and user["left_us"] <= now_us
            items.append(
                (
                    (user["created_us"], user["id"]),
                    {
                        "id": user["id"],
                        "email": user["email"],
                        "display_name": user["display_name"],
                        "roles": list(user["roles"]),
                        "active": not left,
                        "updated_at": render_instant(
                            user["left_us"] if left else user["created_us"]
                        ),
                    },
                )
            )
        return items

    def assignments(self, now_us: int) -> list[ListItem]:
        # A user holds at most one assignment per space: when the generated history overlaps,
        # the most recent one is the current one (a re-assignment replaces the old level).
        current: dict[tuple[int, int], dict] = {}
        for row in sorted(self._assignments, key=lambda r: r["valid_from_us"]):
            running = row["valid_from_us"] <= now_us and (
                row["valid_to_us"] is None or now_us < row["valid_to_us"]
            )
            if running:
                current[(row["user_idx"], row["space_idx"])] = row
        items = []
        for row in current.values():
            if self._space_created[row["space_idx"]] > now_us:
                continue
            user_id, space_id = self._user_ids[row["user_idx"]], self._space_ids[row["space_idx"]]
            items.append(
                (
                    (row["valid_from_us"], user_id, space_id),
                    {
                        "user_id": user_id,
                        "space_id": space_id,
                        "access_level": row["access_level"],
                        "assigned_at": render_instant(row["valid_from_us"]),
                    },
                )
            )
        return sorted(items, key=lambda item: item[0])


def page_of(
    items: list[ListItem], after: tuple | None, limit: int
) -> tuple[list[dict], tuple | None]:
    """Keyset page: items strictly after `after`; the next key when more remain."""
    keys = [key for key, _ in items]
    start = 0 if after is None else bisect.bisect_right(keys, tuple(after))
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return [record for _, record in chunk], (chunk[-1][0] if more and chunk else None)
