"""The marts as the output contract (docs/marts.md) defines them, computed in Polars.

Everything here is derived from the simulator's own ground truth at one instant (the world,
the instant `now` of the last read, the as-of, the time zone and the documents URL template),
never from the pipeline's landing zone, warehouse or SQL. The rules are restated from the
contract next to the code that implements them, so a disagreement with the serving database
can be traced to one rule.

`priority_score` is the project's own formula and is not recomputed here; the test checks the
properties of `priority_rank` instead (see `check_priority_rank`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import quote
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.simulator import World

# insights_status of each accounting status (contract "insights_status"); OTHER -> null.
INSIGHTS_STATUS = {
    "PROCESSED": "processed",
    "READY_TO_PROCESS": "accountant_action_needed",
    "QUEUED": "accountant_action_needed",
    "ERROR": "accountant_action_needed",
    "CLIENT_ACTION_NEEDED": "client_action_needed",
}
# The {category} value of action_url (contract "action_url").
CATEGORY_SLUGS = {
    "SALES_INVOICE": "sales-invoices",
    "PURCHASE_INVOICE": "purchase-invoices",
    "PURCHASE_RECEIPT": "purchase-receipts",
    "ENRICHED_MOVEMENT_REPORT": "enriched-movement-reports",
    "OTHER": "other-documents",
}
OTHER = "OTHER"
LAST_DAY = 31  # "last day of the month": any day >= 31 is capped to the month's last day
# Country filing day per frequency (contract "filing_deadline"); any other country: 20.
COUNTRY_DEADLINE_DAY = {
    "BE": {"MONTHLY": 20, "QUARTERLY": 25, "ANNUAL": 20},
    "NL": {"MONTHLY": LAST_DAY, "QUARTERLY": LAST_DAY, "ANNUAL": LAST_DAY},
    "LU": {"MONTHLY": 15, "QUARTERLY": 15, "ANNUAL": 15},
    "DE": {"MONTHLY": 10, "QUARTERLY": 10, "ANNUAL": 10},
    "PL": {"MONTHLY": 25, "QUARTERLY": 25, "ANNUAL": 25},
    "FR": {"MONTHLY": 19, "QUARTERLY": 19, "ANNUAL": 19},
}
OTHER_COUNTRY_DEADLINE_DAY = 20
PERIOD_MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUAL": 12}
NO_FILING = "NONE"

COUNTS = pl.Int64
UTC_US = pl.Datetime("us", "UTC")


# --- VAT periods and deadlines (plain date arithmetic, one client at a time) -------------------
def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def vat_period_start(day: date, frequency: str) -> date | None:
    """Calendar month, quarter or year holding `day`; none for NONE."""
    if frequency not in PERIOD_MONTHS:
        return None
    months = PERIOD_MONTHS[frequency]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def vat_period_end(start: date, frequency: str) -> date:
    """Inclusive: the period's last day."""
    return _add_months(start, PERIOD_MONTHS[frequency]) - timedelta(days=1)


def deadline_day(country: str | None, frequency: str, override: int | None) -> int:
    if override is not None:
        return override
    return COUNTRY_DEADLINE_DAY.get(country or "", {}).get(frequency, OTHER_COUNTRY_DEADLINE_DAY)


def filing_deadline(start: date, frequency: str, country: str | None, override: int | None) -> date:
    """In the month after the period ends (ANNUAL: March of the next year), on the client's
    day or the country's, capped at the month's last day; Saturday/Sunday -> next Monday."""
    end = vat_period_end(start, frequency)
    month = _add_months(end, 3 if frequency == "ANNUAL" else 1)
    last = calendar.monthrange(month.year, month.month)[1]
    deadline = month.replace(day=min(deadline_day(country, frequency, override), last))
    if deadline.weekday() >= 5:  # 5 = Saturday, 6 = Sunday
        deadline += timedelta(days=7 - deadline.weekday())
    return deadline


def filing_period(
    as_of_date: date, frequency: str, country: str | None, override: int | None
) -> tuple[date, date, date] | None:
    """(start, end, deadline) of the earliest period whose deadline >= as_of_date."""
    if frequency not in PERIOD_MONTHS:
        return None
    current = vat_period_start(as_of_date, frequency)
    months = PERIOD_MONTHS[frequency]
    candidates = [_add_months(current, -k * months) for k in range(5)]
    open_ones = [
        start
        for start in candidates
        if filing_deadline(start, frequency, country, override) >= as_of_date
    ]
    # Deadlines lie at most ~3 months after a period ends: four periods back is always closed.
    assert candidates[-1] not in open_ones, "search window too short"
    start = min(open_ones)
    return (
        start,
        vat_period_end(start, frequency),
        filing_deadline(start, frequency, country, override),
    )


def action_url(template: str, client_id: str, category: str, status: str) -> str:
    """The template with URL-encoded values (encoded before substitution)."""
    return (
        template.replace("{client_id}", quote(client_id, safe=""))
        .replace("{category}", quote(CATEGORY_SLUGS[category], safe=""))
        .replace("{status}", quote(status, safe=""))
    )


# --- The expected marts ------------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    """Expected marts of a world read at `now` and described as of `as_of`."""

    world: World
    now: datetime
    as_of: datetime
    timezone: str = "Europe/Brussels"
    url_template: str = (
        "https://partner.banqup.com/clients/{client_id}/documents/{category}?status={status}"
    )

    @cached_property
    def as_of_date(self) -> date:
        return self.as_of.astimezone(ZoneInfo(self.timezone)).date()

    def _local_date(self, column: str) -> pl.Expr:
        return pl.col(column).dt.convert_time_zone(self.timezone).dt.date()

    # --- entities ---
    @cached_property
    def clients(self) -> pl.DataFrame:
        """Every space the API lists at `now`, with its (latest) link status."""
        spaces = self.world.spaces_at(self.now)
        return pl.DataFrame(
            {
                "client_id": [s["id"] for s in spaces],
                "client_name": [s["name"] for s in spaces],
                "country": [s["country"] for s in spaces],
                "link_status": [s["link_status"] for s in spaces],
                "vat_filing_frequency": [s["vat_filing_frequency"] for s in spaces],
                "vat_deadline_day": [s["vat_deadline_day"] for s in spaces],
            },
            schema={
                "client_id": pl.String,
                "client_name": pl.String,
                "country": pl.String,
                "link_status": pl.String,
                "vat_filing_frequency": pl.String,
                "vat_deadline_day": pl.Int64,
            },
        ).with_columns(is_active=pl.col("link_status") == "ACTIVE")

    @cached_property
    def active_clients(self) -> pl.DataFrame:
        return self.clients.filter("is_active")

    @cached_property
    def readable_client_ids(self) -> list[str]:
        """Active clients whose documents can be read.

        A space listed ACTIVE may still answer 403 to document reads (access revoked on the
        platform side): its documents are never extracted, so for the marts that client is an
        active client without documents. Documents therefore come only from spaces that are
        accessible at `now` (which implies ACTIVE at `now`: spaces that stopped being active
        since an earlier read drop out too).
        """
        return [
            client_id
            for client_id in self.active_clients["client_id"]
            if self.world.space_accessible(client_id, self.now)
        ]

    @cached_property
    def team_members(self) -> pl.DataFrame:
        users = self.world.users_at(self.now)
        return pl.DataFrame(
            {
                "user_id": [u["id"] for u in users],
                "display_name": [u["display_name"] for u in users],
                "is_accountant": ["ACCOUNTANT" in u["roles"] for u in users],
                "is_active": [bool(u["active"]) for u in users],
            },
            schema={
                "user_id": pl.String,
                "display_name": pl.String,
                "is_accountant": pl.Boolean,
                "is_active": pl.Boolean,
            },
        )

    @cached_property
    def bridge(self) -> pl.DataFrame:
        """Current assignments of active team members to active clients."""
        rows = self.world.assignments_at(self.now)
        assignments = pl.DataFrame(
            {
                "user_id": [a["user_id"] for a in rows],
                "client_id": [a["space_id"] for a in rows],
                "access_level": [a["access_level"] for a in rows],
            },
            schema={"user_id": pl.String, "client_id": pl.String, "access_level": pl.String},
        )
        active_members = self.team_members.filter("is_active").select("user_id")
        return assignments.join(active_members, on="user_id", how="semi").join(
            self.active_clients.select("client_id"), on="client_id", how="semi"
        )

    # --- documents ---
    @cached_property
    def documents(self) -> pl.DataFrame:
        """fct_documents: one row per live document of a readable active client."""
        current = self.world.current_documents(self.now)  # latest visible version of each
        live = current.filter(
            pl.col("space_id").is_in(self.readable_client_ids) & pl.col("deleted_at").is_null()
        )
        as_of_date = self.as_of_date
        frame = (
            live.select(
                "document_id",
                pl.col("space_id").alias("client_id"),
                pl.col("category").cast(pl.String),
                pl.col("accounting_status").cast(pl.String),
                "issue_date",
                "received_at",
                "processed_at",
                "processed_by",
            )
            .with_columns(
                insights_status=pl.when(pl.col("category") != OTHER).then(
                    pl.col("accounting_status").replace_strict(
                        INSIGHTS_STATUS, default=None, return_dtype=pl.String
                    )
                ),
                received_date=self._local_date("received_at"),
                processed_date=self._local_date("processed_at"),
                hours_to_process=pl.when(pl.col("processed_at").is_not_null()).then(
                    (pl.col("processed_at") - pl.col("received_at")).dt.total_microseconds()
                    / 3_600_000_000
                ),
            )
            .with_columns(
                activity_date=pl.coalesce("issue_date", "received_date"),
                open_age_days=pl.when(
                    pl.col("insights_status").is_in(
                        ["accountant_action_needed", "client_action_needed"]
                    )
                ).then((pl.lit(as_of_date) - pl.col("received_date")).dt.total_days()),
            )
        )
        # The client's VAT period of each document (by activity_date; OTHER included).
        clients = self.active_clients.select(
            "client_id", "country", "vat_filing_frequency", "vat_deadline_day"
        )
        frame = frame.join(clients, on="client_id", how="left")
        periods = {}
        for row in (
            frame.select("activity_date", "vat_filing_frequency", "country", "vat_deadline_day")
            .unique()
            .iter_rows()
        ):
            day, frequency, country, override = row
            start = vat_period_start(day, frequency)
            periods[row] = (
                (None, None, None)
                if start is None
                else (
                    start,
                    vat_period_end(start, frequency),
                    filing_deadline(start, frequency, country, override),
                )
            )
        keys = frame.select(
            "activity_date", "vat_filing_frequency", "country", "vat_deadline_day"
        ).rows()
        return frame.with_columns(
            vat_period_start=pl.Series([periods[k][0] for k in keys], dtype=pl.Date),
            vat_period_end=pl.Series([periods[k][1] for k in keys], dtype=pl.Date),
            filing_deadline=pl.Series([periods[k][2] for k in keys], dtype=pl.Date),
        )

    # --- fct_client_category_daily ---
    def client_category_daily(self) -> pl.DataFrame:
        docs = self.documents
        status_count = lambda status: (  # noqa: E731
            pl.when(pl.col("category").first() != OTHER)
            .then((pl.col("insights_status") == status).sum())
            .cast(COUNTS)
        )
        daily = docs.group_by("client_id", "category", "activity_date").agg(
            documents_total=pl.len().cast(COUNTS),
            documents_processed=status_count("processed"),
            documents_accountant_action_needed=status_count("accountant_action_needed"),
            documents_client_action_needed=status_count("client_action_needed"),
        )
        keys = daily.select("client_id", "category").rows()

        def urls(status: str, *, statuses_only: bool) -> pl.Series:
            return pl.Series([
                None if statuses_only and category == OTHER
                else action_url(self.url_template, client_id, category, status)
                for client_id, category in keys], dtype=pl.String)

        return daily.with_columns(
            action_url=urls("all", statuses_only=False),
            # the links behind the two counts that ask for action (OTHER has no statuses)
            action_url_accountant_action_needed=urls(
                "accountant_action_needed", statuses_only=True),
            action_url_client_action_needed=urls("client_action_needed", statuses_only=True),
        ).sort("client_id", "category", "activity_date")

    # --- mart_client_overview (priority_score / priority_rank left out) ---
    def _status_counts(self, by: str = "client_id") -> pl.DataFrame:
        docs = self.documents
        non_other = pl.col("category") != OTHER
        return docs.group_by(by).agg(
            documents_total=pl.len().cast(COUNTS),
            documents_processed=(non_other & (pl.col("insights_status") == "processed"))
            .sum()
            .cast(COUNTS),
            documents_accountant_action_needed=(
                non_other & (pl.col("insights_status") == "accountant_action_needed")
            )
            .sum()
            .cast(COUNTS),
            documents_client_action_needed=(
                non_other & (pl.col("insights_status") == "client_action_needed")
            )
            .sum()
            .cast(COUNTS),
            oldest_open_accountant_action_days=pl.col("open_age_days")
            .filter(pl.col("insights_status") == "accountant_action_needed")
            .max()
            .cast(COUNTS),
        )

    def client_overview(self) -> pl.DataFrame:
        as_of_date = self.as_of_date
        clients = self.active_clients
        filing = []
        for frequency, country, override in clients.select(
            "vat_filing_frequency", "country", "vat_deadline_day"
        ).rows():
            period = filing_period(as_of_date, frequency, country, override)
            filing.append(period or (None, None, None))
        clients = clients.with_columns(
            filing_period_start=pl.Series([f[0] for f in filing], dtype=pl.Date),
            filing_period_end=pl.Series([f[1] for f in filing], dtype=pl.Date),
            filing_deadline=pl.Series([f[2] for f in filing], dtype=pl.Date),
        )
        open_in_filing = (
            self.documents.join(clients.select("client_id", "filing_period_start"), on="client_id")
            .filter(
                (pl.col("category") != OTHER)
                & (pl.col("vat_period_start") == pl.col("filing_period_start"))
                & ~(pl.col("insights_status") == "processed").fill_null(False)
            )
            .group_by("client_id")
            .agg(open_in_filing_period=pl.len().cast(COUNTS))
        )
        assigned = self.bridge.group_by("client_id").agg(
            assigned_team_members=pl.len().cast(COUNTS)
        )
        counts = [
            "documents_total",
            "documents_processed",
            "documents_accountant_action_needed",
            "documents_client_action_needed",
        ]
        return (
            clients.join(self._status_counts(), on="client_id", how="left")
            .join(open_in_filing, on="client_id", how="left")
            .join(assigned, on="client_id", how="left")
            .select(
                "client_id",
                "client_name",
                "country",
                "vat_filing_frequency",
                *[pl.col(c).fill_null(0).cast(COUNTS) for c in counts],
                "oldest_open_accountant_action_days",
                "filing_period_start",
                "filing_period_end",
                "filing_deadline",
                days_to_filing_deadline=(pl.col("filing_deadline") - pl.lit(as_of_date))
                .dt.total_days()
                .cast(COUNTS),
                # Null (no filing period) for NONE filers, else 0 when nothing is open.
                open_in_filing_period=pl.when(pl.col("filing_period_start").is_not_null())
                .then(pl.col("open_in_filing_period").fill_null(0))
                .cast(COUNTS),
                assigned_team_members=pl.col("assigned_team_members").fill_null(0).cast(COUNTS),
                data_as_of=pl.lit(self.as_of, dtype=UTC_US),
            )
            .sort("client_id")
        )

    # --- mart_vat_period_progress ---
    def vat_period_progress(self) -> pl.DataFrame:
        as_of_date = self.as_of_date
        docs = self.documents.filter(
            (pl.col("category") != OTHER) & pl.col("vat_period_start").is_not_null()
        ).with_columns(is_processed=(pl.col("insights_status") == "processed").fill_null(False))
        processed_hours = pl.col("hours_to_process").filter("is_processed")
        progress = docs.group_by("client_id", "vat_period_start").agg(
            vat_period_end=pl.col("vat_period_end").first(),
            filing_deadline=pl.col("filing_deadline").first(),
            documents_total=pl.len().cast(COUNTS),
            documents_processed=pl.col("is_processed").sum().cast(COUNTS),
            processed_by_deadline=(
                pl.col("is_processed") & (pl.col("processed_date") <= pl.col("filing_deadline"))
            )
            .sum()
            .cast(COUNTS),
            median_hours_to_process=processed_hours.quantile(0.5, interpolation="linear"),
            p90_hours_to_process=processed_hours.quantile(0.9, interpolation="linear"),
        )
        return (
            progress.with_columns(
                documents_open=(pl.col("documents_total") - pl.col("documents_processed")).cast(
                    COUNTS
                ),
                pct_processed=pl.col("documents_processed") / pl.col("documents_total"),
            )
            .with_columns(
                period_state=pl.when(pl.col("documents_open") == 0)
                .then(pl.lit("complete"))
                .when(pl.col("filing_deadline") < pl.lit(as_of_date))
                .then(pl.lit("overdue"))
                .otherwise(pl.lit("open"))
            )
            .select(
                "client_id",
                "vat_period_start",
                "vat_period_end",
                "filing_deadline",
                "documents_total",
                "documents_processed",
                "processed_by_deadline",
                "documents_open",
                "pct_processed",
                "median_hours_to_process",
                "p90_hours_to_process",
                "period_state",
            )
            .sort("client_id", "vat_period_start")
        )

    # --- mart_team_member_workload ---
    def team_member_workload(self) -> pl.DataFrame:
        as_of_date = self.as_of_date
        members = self.team_members.filter(pl.col("is_active") & pl.col("is_accountant"))
        per_client = self._status_counts()
        open_work = (
            self.bridge.join(per_client, on="client_id", how="left")
            .group_by("user_id")
            .agg(
                assigned_clients=pl.col("client_id").n_unique().cast(COUNTS),
                open_accountant_action=pl.col("documents_accountant_action_needed")
                .fill_null(0)
                .sum()
                .cast(COUNTS),
                open_client_action=pl.col("documents_client_action_needed")
                .fill_null(0)
                .sum()
                .cast(COUNTS),
                oldest_open_accountant_action_days=pl.col(
                    "oldest_open_accountant_action_days"
                ).max(),
            )
        )
        processed = (
            self.documents.filter(
                pl.col("processed_by").is_not_null()
                & (pl.col("processed_date") > pl.lit(as_of_date - timedelta(days=30)))
                & (pl.col("processed_date") <= pl.lit(as_of_date))
            )
            .group_by(pl.col("processed_by").alias("user_id"))
            .agg(processed_last_30_days=pl.len().cast(COUNTS))
        )
        counts = [
            "assigned_clients",
            "open_accountant_action",
            "open_client_action",
            "processed_last_30_days",
        ]
        return (
            members.join(open_work, on="user_id", how="left")
            .join(processed, on="user_id", how="left")
            .select(
                "user_id",
                "display_name",
                *[pl.col(c).fill_null(0).cast(COUNTS) for c in counts[:3]],
                pl.col("oldest_open_accountant_action_days").cast(COUNTS),
                pl.col("processed_last_30_days").fill_null(0).cast(COUNTS),
            )
            .sort("user_id")
        )

    # --- fct_documents per client ---
    def documents_per_client(self) -> pl.DataFrame:
        return (
            self.documents.group_by("client_id")
            .agg(documents=pl.len().cast(COUNTS))
            .sort("client_id")
        )


def check_priority_rank(overview: pl.DataFrame) -> list[str]:
    """Problems with priority_rank: a permutation of 1..n that follows priority_score desc,
    ties broken by client_name then client_id (the score's formula is the project's)."""
    problems = []
    n = overview.height
    ranks = sorted(overview["priority_rank"].to_list())
    if ranks != list(range(1, n + 1)):
        problems.append(f"priority_rank is not a permutation of 1..{n}: {ranks}")
    if overview["priority_score"].null_count():
        problems.append("priority_score has nulls")
        return problems
    # the published factors are the score's parts: backlog x age factor x deadline factor
    explained = overview.with_columns(
        parts=(pl.col("documents_accountant_action_needed") * pl.col("priority_age_factor")
               * pl.col("priority_deadline_factor")).round(2),
        score=pl.col("priority_score").cast(pl.Float64),
    ).filter((pl.col("parts") - pl.col("score")).abs() > 0.0051)
    if explained.height:
        problems.append("priority_score is not documents_accountant_action_needed x "
                        f"priority_age_factor x priority_deadline_factor:\n{explained.head(3)}")
    ordered = overview.with_columns(pl.col("priority_score").cast(pl.Float64)).sort(
        ["priority_score", "client_name", "client_id"], descending=[True, False, False]
    )
    want = list(range(1, n + 1))
    got = ordered["priority_rank"].to_list()
    if got != want:
        at = next(i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b)
        rows = ordered.slice(max(at - 1, 0), 3).select(
            "client_id", "client_name", "priority_score", "priority_rank"
        )
        problems.append(
            "priority_rank does not follow priority_score desc, client_name, client_id: "
            f"rank {got[at]} at position {at + 1}:\n{rows}"
        )
    return problems
