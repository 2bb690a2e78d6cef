"""Team members, the assignment history (valid_from/valid_to) and who processes each space."""

from __future__ import annotations

import polars as pl

from pipelines.simulator.config import WorldConfig
from pipelines.simulator.randomness import DAY_US, HOUR_US, USERS_STREAM, random_uuids, stream
from pipelines.simulator.spaces import to_us
from pipelines.simulator.vocab import (
    CLIENT_MANAGER_MEMBERS,
    EMAIL_DOMAIN,
    INACTIVE_MEMBER,
    TEAM,
    UNASSIGNED_ACCOUNTANT,
    WORKING_ACCOUNTANTS,
)

NEVER = None  # valid_to of an assignment that is still running


def build_users(config: WorldConfig) -> pl.DataFrame:
    rng = stream(config.seed, USERS_STREAM)
    anchor = to_us(config.anchor)
    ids = random_uuids(rng, len(TEAM)).to_list()
    left_at = anchor - min(90, max(config.history_days // 4, 1)) * DAY_US + 10 * HOUR_US
    rows = []
    for i, (display_name, local_part, roles) in enumerate(TEAM):
        created = anchor - int(rng.uniform(400, 2500) * DAY_US)
        if i == UNASSIGNED_ACCOUNTANT:
            created = anchor - 5 * DAY_US + 9 * HOUR_US
        rows.append(
            {
                "user_idx": i,
                "id": ids[i],
                "email": f"{local_part}@{EMAIL_DOMAIN}",
                "display_name": display_name,
                "roles": roles,
                "created_us": created,
                "left_us": left_at if i == INACTIVE_MEMBER else None,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"left_us": pl.Int64})


def build_assignments(
    config: WorldConfig, spaces: pl.DataFrame, users: pl.DataFrame, link_events: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Returns (assignment history, processors per space).

    processors: primary_before/primary_after/switch_us/secondary (user_idx) per ever-active
    space; documents processed before switch_us are processed by primary_before.
    """
    rng = stream(config.seed, USERS_STREAM, 1)
    anchor = to_us(config.anchor)
    horizon = anchor + config.future_days * DAY_US
    left_at = users.filter(pl.col("user_idx") == INACTIVE_MEMBER)["left_us"][0]
    activated = dict(
        link_events.filter(pl.col("link_status") == "ACTIVE")
        .group_by("space_idx")
        .agg(pl.col("at_us").min())
        .iter_rows()
    )
    ended = dict(
        link_events.filter(pl.col("link_status").is_in(["ARCHIVED", "LOST"]))
        .select("space_idx", "at_us")
        .iter_rows()
    )
    rows: list[tuple] = []
    processors: list[dict] = []
    view_candidates: list[int] = []  # rows of running client-manager assignments
    unassigned_active: list[int] = []

    def pick(pool: list[int], exclude: tuple[int, ...] = ()) -> int:
        choices = [u for u in pool if u not in exclude]
        return int(choices[rng.integers(len(choices))])

    def days_after(t: int, low: float, high: float) -> int:
        return t + int(rng.uniform(low, high) * DAY_US)

    def before_anchor(t: int, low: int) -> int:
        return max(low, min(t, anchor - HOUR_US))

    for space in spaces.iter_rows(named=True):
        i = space["space_idx"]
        if i not in activated:
            continue
        start, end = activated[i], ended.get(i)
        first = pick(WORKING_ACCOUNTANTS)
        if start < left_at and rng.random() < 0.12:
            first = INACTIVE_MEMBER  # handled by the member who later left
        switch = None
        if first == INACTIVE_MEMBER:
            switch = left_at
        elif rng.random() < 0.10:
            switch = days_after(
                max(start, anchor - config.history_days * DAY_US),
                1,
                max(config.history_days * 0.9, 2),
            )
            switch = min(switch, anchor - DAY_US)
        second_primary = pick(WORKING_ACCOUNTANTS, (first,)) if switch else first
        secondary = (
            pick(WORKING_ACCOUNTANTS, (first, second_primary)) if rng.random() < 0.25 else None
        )
        processors.append(
            {
                "space_idx": i,
                "primary_before": first,
                "primary_after": second_primary,
                "switch_us": switch,
                "secondary": secondary,
            }
        )
        # Some active clients have no assignment at all (nobody sees them in the BI tool).
        if end is None and space["import_at_us"] is None and rng.random() < 0.08:
            unassigned_active.append(i)
            continue
        archived_end = None
        if end is not None and end <= anchor and rng.random() < 0.5:
            archived_end = days_after(end, 0.5, 5)
        first_from = days_after(start, 0, 2)
        if switch and switch > first_from:
            rows.append((first, i, "EDIT", first_from, switch))
            rows.append((second_primary, i, "EDIT", days_after(switch, 0, 3), archived_end))
        else:
            rows.append((second_primary, i, "EDIT", first_from, archived_end))
        if secondary is not None:
            level = "EDIT" if rng.random() < 0.6 else "VIEW"
            rows.append(
                (
                    secondary,
                    i,
                    level,
                    before_anchor(days_after(first_from, 1, 200), first_from),
                    archived_end,
                )
            )
        if rng.random() < 0.5:
            manager = pick(CLIENT_MANAGER_MEMBERS, (second_primary,))
            rows.append(
                (
                    manager,
                    i,
                    "VIEW",
                    before_anchor(days_after(first_from, 0, 30), first_from),
                    archived_end,
                )
            )
            if end is None and archived_end is None:
                view_candidates.append(len(rows) - 1)

    # Inside the future window one assignment ends and one starts, so clock advances show it.
    if config.future_days >= 2 and view_candidates:
        user, space, level, valid_from, _ = rows[view_candidates[0]]
        rows[view_candidates[0]] = (
            user,
            space,
            level,
            valid_from,
            days_after(anchor, 0.2, config.future_days / 2),
        )
        target = unassigned_active[0] if unassigned_active else space
        newcomer = pick(WORKING_ACCOUNTANTS, (user,))
        rows.append(
            (newcomer, target, "EDIT", days_after(anchor, 0.2, config.future_days - 0.2), None)
        )
    frame = pl.DataFrame(
        rows,
        schema=["user_idx", "space_idx", "access_level", "valid_from_us", "valid_to_us"],
        orient="row",
        schema_overrides={"valid_to_us": pl.Int64},
    )
    # An assignment never starts after the simulated horizon nor ends before it starts.
    frame = frame.with_columns(pl.min_horizontal("valid_from_us", pl.lit(horizon - HOUR_US)))
    frame = frame.with_columns(
        pl.when(pl.col("valid_to_us").is_not_null())
        .then(pl.max_horizontal("valid_to_us", pl.col("valid_from_us") + DAY_US))
        .alias("valid_to_us")
    )
    processors_frame = pl.DataFrame(
        processors, schema_overrides={"switch_us": pl.Int64, "secondary": pl.Int64}
    )
    return frame.sort("valid_from_us", "user_idx", "space_idx"), processors_frame
