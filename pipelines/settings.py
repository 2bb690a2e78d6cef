"""The one place that reads the environment (and a `.env` file in the working directory).

Every variable of the operating contract is parsed and validated once, into a frozen `Settings`.
A bad value raises `SettingsError`, whose message is one line naming the variable and the fault;
the CLI prints that line and stops before any work.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

DEFAULT_DOCUMENTS_URL_TEMPLATE = (
    "https://partner.banqup.com/clients/{client_id}/documents/{category}?status={status}"
)


class SettingsError(ValueError):
    """A configuration variable is missing or invalid."""

    def __init__(self, variable: str, problem: str):
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


class Secret(str):
    """A string that never shows itself in a repr, log line or traceback."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Settings:
    home: Path
    api_url: str | None
    api_client_id: str | None
    api_client_secret: Secret | None = field(repr=False)
    timezone: str
    as_of: datetime | None
    lookback_minutes: int
    documents_url_template: str
    postgres_dsn: Secret | None = field(repr=False)
    api_max_attempts: int
    api_timeout_seconds: float
    api_page_size: int
    api_concurrency: int
    max_data_age_minutes: int
    quarantine_max_share: float
    alert_webhook_url: Secret | None = field(repr=False)
    # `insights serve`: the request header carrying the signed-in member's e-mail (set by the
    # firm's SSO / reverse proxy), and the DSN of the page's own PostgreSQL login.
    serve_identity_header: str = "X-Forwarded-Email"
    serve_postgres_dsn: Secret | None = field(default=None, repr=False)
    duckdb_memory_limit: str = "3GB"  # the dbt build's and the publish's DuckDB memory bound
    # dbt nodes run at once on DuckDB: they share its memory limit, and each query already
    # uses every core
    dbt_threads: int = 1
    # The storage format of the serving catalog file: BI tools bundle older DuckDB engines
    # (Metabase's DuckDB driver the 1.5 series), which cannot open the newest format.
    serving_duckdb_storage: str = "v1.5.0"
    # the deadline-risk digest: a client with open work and its filing deadline within this
    # many days is listed even when its pace would finish in time; e-mail when SMTP is set
    digest_deadline_days: int = 7
    smtp: SmtpSettings | None = None
    # The Dagster instance of the deployment (webserver, daemon): `insights refresh` records its
    # runs there too when set; unset, in a SQLite instance under INSIGHTS_HOME/dagster.
    dagster_home: Path | None = None

    # Derived locations; everything lives under INSIGHTS_HOME so one setting moves it all.
    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    @property
    def serving_path(self) -> Path:
        return self.home / "serving" / "insights.duckdb"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def writing(self, on_wait=None, timeout_seconds: float = 3600):
        """The writer lock of this INSIGHTS_HOME (pipelines/writer_lock.py), the one way a
        step takes it: `with settings.writing(on_wait=log):`. Re-entrant within a thread."""
        from pipelines.writer_lock import writer_lock

        return writer_lock(self.state_dir, timeout_seconds=timeout_seconds, on_wait=on_wait)

    def require_api(self) -> None:
        """Stop with one clear line when the API connection is not configured."""
        for variable, value in (
            ("INSIGHTS_API_URL", self.api_url),
            ("INSIGHTS_API_CLIENT_ID", self.api_client_id),
            ("INSIGHTS_API_CLIENT_SECRET", self.api_client_secret),
        ):
            if not value:
                raise SettingsError(
                    variable, "is not set; it is needed to read the Client Spaces API"
                )


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server of the e-mail digest (INSIGHTS_SMTP_*)."""

    host: str
    port: int
    security: str  # starttls | ssl | none
    sender: str
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    host = _text(env, "INSIGHTS_SMTP_HOST")
    if host is None:
        return None
    security = (_text(env, "INSIGHTS_SMTP_SECURITY") or "starttls").lower()
    if security not in ("starttls", "ssl", "none"):
        raise SettingsError("INSIGHTS_SMTP_SECURITY",
                            f"must be starttls, ssl or none, got {security!r}")
    sender = _text(env, "INSIGHTS_SMTP_FROM")
    if not sender or "@" not in sender:
        raise SettingsError("INSIGHTS_SMTP_FROM", "must be the sender's e-mail address when "
                                                  "INSIGHTS_SMTP_HOST is set")
    username, password = _text(env, "INSIGHTS_SMTP_USERNAME"), _text(env, "INSIGHTS_SMTP_PASSWORD")
    if bool(username) != bool(password):
        raise SettingsError("INSIGHTS_SMTP_PASSWORD" if username else "INSIGHTS_SMTP_USERNAME",
                            "INSIGHTS_SMTP_USERNAME and INSIGHTS_SMTP_PASSWORD go together")
    default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
    return SmtpSettings(host=host, port=_int(env, "INSIGHTS_SMTP_PORT", default_port, 1, 65535),
                        security=security, sender=sender, username=username,
                        password=Secret(password) if password else None)


def _read_environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    if environ is not None:
        return dict(environ)
    values = {k: v for k, v in dotenv_values(Path.cwd() / ".env").items() if v is not None}
    values.update(os.environ)  # the real environment wins over the file
    return values


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise SettingsError(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum}, got {value}")
    return value


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default, 0.0)
    if value > 1:
        raise SettingsError(name, f"must be a fraction between 0 and 1, got {value}")
    return value


def _webhook(env: Mapping[str, str]) -> Secret | None:
    # Webhook URLs carry their token in the path: validate, never echo.
    raw = _text(env, "INSIGHTS_ALERT_WEBHOOK_URL")
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError("INSIGHTS_ALERT_WEBHOOK_URL", "must be an absolute http(s) URL")
    return Secret(raw)


def _url(env: Mapping[str, str], name: str) -> str | None:
    raw = _text(env, name)
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, f"must be an absolute http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _timezone(env: Mapping[str, str]) -> str:
    name = _text(env, "INSIGHTS_TIMEZONE") or "Europe/Brussels"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            "INSIGHTS_TIMEZONE", f"must be an IANA time zone such as Europe/Brussels, got {name!r}"
        ) from None
    return name


def _as_of(env: Mapping[str, str]) -> datetime | None:
    raw = _text(env, "INSIGHTS_AS_OF")
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise SettingsError(
            "INSIGHTS_AS_OF",
            f"must be an RFC 3339 timestamp with an offset, e.g. 2026-03-31T22:00:00Z, got {raw!r}",
        )
    return value


def _documents_url_template(env: Mapping[str, str]) -> str:
    name = "INSIGHTS_DOCUMENTS_URL_TEMPLATE"
    template = _text(env, name) or DEFAULT_DOCUMENTS_URL_TEMPLATE
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, f"must be an absolute http(s) URL template, got {template!r}")
    for placeholder in ("{client_id}", "{category}"):
        if placeholder not in template:
            raise SettingsError(name, f"must contain the placeholder {placeholder}")
    try:
        template.format(client_id="x", category="x", status="x")
    except (KeyError, IndexError, ValueError):
        raise SettingsError(
            name, "may only use the placeholders {client_id}, {category} and {status}"
        ) from None
    return template


def _postgres_dsn(env: Mapping[str, str], name: str = "INSIGHTS_POSTGRES_DSN") -> Secret | None:
    raw = _text(env, name)
    if raw is None:
        return None
    if not (raw.startswith(("postgresql://", "postgres://")) or "dbname=" in raw):
        # Never echo the value: a DSN usually carries a password.
        raise SettingsError(name, "must be a postgresql:// URL or a libpq key=value string")
    return Secret(raw)


_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # an HTTP token (RFC 9110)


def _header_name(env: Mapping[str, str]) -> str:
    name = "INSIGHTS_SERVE_IDENTITY_HEADER"
    value = _text(env, name) or "X-Forwarded-Email"
    if not _HEADER_NAME.match(value):
        raise SettingsError(name, f"must be an HTTP header name such as X-Forwarded-Email, "
                                  f"got {value!r}")
    return value


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
_STORAGE_VERSION = re.compile(r"v\d+\.\d+\.\d+|latest")


def _matching(env: Mapping[str, str], name: str, default: str, pattern: re.Pattern,
              expected: str) -> str:
    value = _text(env, name) or default
    if not pattern.fullmatch(value):
        raise SettingsError(name, f"must be {expected}, got {value!r}")
    return value


def _memory_limit(env: Mapping[str, str]) -> str:
    return _matching(env, "INSIGHTS_DUCKDB_MEMORY_LIMIT", "3GB", _MEMORY,
                     "a size such as 3GB or 512MB")


def _serving_storage(env: Mapping[str, str]) -> str:
    return _matching(env, "INSIGHTS_SERVING_DUCKDB_STORAGE", "v1.5.0", _STORAGE_VERSION,
                     "a DuckDB version such as v1.5.0, or latest")


def _home(env: Mapping[str, str]) -> Path:
    home = Path(_text(env, "INSIGHTS_HOME") or ".insights").expanduser().resolve()
    # The nearest existing ancestor must be a folder (the rest is created on first use).
    existing = next((p for p in (home, *home.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        what = "is a file" if existing == home else f"is under {existing}, which is a file"
        raise SettingsError("INSIGHTS_HOME", f"must be a folder; {home} {what}")
    return home


def debug_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """INSIGHTS_DEBUG=1 (or `--debug`): failures print their full traceback too."""
    value = (_text(_read_environment(environ), "INSIGHTS_DEBUG") or "0").lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError("INSIGHTS_DEBUG", f"must be 1 or 0, got {value!r}")
    return value in ("1", "true", "yes")


def _dagster_home(env: Mapping[str, str]) -> Path | None:
    raw = _text(env, "DAGSTER_HOME")
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute():  # Dagster itself refuses a relative DAGSTER_HOME
        raise SettingsError("DAGSTER_HOME", f"must be an absolute path, got {raw!r}")
    if not path.is_dir():
        raise SettingsError("DAGSTER_HOME", f"must be an existing folder (with dagster.yaml), "
                                            f"got {raw!r}")
    return path


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; `environ` replaces the process environment (tests)."""
    env = _read_environment(environ)
    secret = _text(env, "INSIGHTS_API_CLIENT_SECRET")
    return Settings(
        home=_home(env),
        api_url=_url(env, "INSIGHTS_API_URL"),
        api_client_id=_text(env, "INSIGHTS_API_CLIENT_ID"),
        api_client_secret=Secret(secret) if secret else None,
        timezone=_timezone(env),
        as_of=_as_of(env),
        lookback_minutes=_int(env, "INSIGHTS_LOOKBACK_MINUTES", 10, 0, 24 * 60),
        documents_url_template=_documents_url_template(env),
        postgres_dsn=_postgres_dsn(env),
        api_max_attempts=_int(env, "INSIGHTS_API_MAX_ATTEMPTS", 6, 1, 50),
        api_timeout_seconds=_float(env, "INSIGHTS_API_TIMEOUT_SECONDS", 30.0, 0.05),
        api_page_size=_int(env, "INSIGHTS_API_PAGE_SIZE", 1000, 1, 1000),
        api_concurrency=_int(env, "INSIGHTS_API_CONCURRENCY", 4, 1, 64),
        max_data_age_minutes=_int(env, "INSIGHTS_MAX_DATA_AGE_MINUTES", 24 * 60, 1, 525_600),
        quarantine_max_share=_share(env, "INSIGHTS_QUARANTINE_MAX_SHARE", 0.01),
        alert_webhook_url=_webhook(env),
        serve_identity_header=_header_name(env),
        serve_postgres_dsn=_postgres_dsn(env, "INSIGHTS_SERVE_POSTGRES_DSN"),
        duckdb_memory_limit=_memory_limit(env),
        dbt_threads=_int(env, "INSIGHTS_DBT_THREADS", 1, 1, 16),
        serving_duckdb_storage=_serving_storage(env),
        digest_deadline_days=_int(env, "INSIGHTS_DIGEST_DEADLINE_DAYS", 7, 0, 366),
        smtp=_smtp(env),
        dagster_home=_dagster_home(env),
    )


@dataclass(frozen=True)
class ScheduleSettings:
    refresh_cron: str
    reconcile_cron: str
    timezone: str
    digest_cron: str = "0 7 * * *"
    live_interval_seconds: int = 60  # live mode: how often the API is asked for changes; 0 = off
    automation_on: bool = True  # schedules and run-requesting sensors start out RUNNING


_SWITCH = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(env, name)
    if raw is None:
        return default
    if raw.lower() not in _SWITCH:
        raise SettingsError(name, f"must be on or off, got {raw!r}")
    return _SWITCH[raw.lower()]


def _cron(env: Mapping[str, str], name: str, default: str) -> str:
    from dagster._utils.schedules import is_valid_cron_string  # only schedules need it

    value = _text(env, name) or default
    if not is_valid_cron_string(value):
        raise SettingsError(name, f"must be a cron expression such as '{default}', got {value!r}")
    return value


def load_schedule_settings(environ: Mapping[str, str] | None = None) -> ScheduleSettings:
    """The few settings the definitions need when they load: no secrets, no paths."""
    env = _read_environment(environ)
    return ScheduleSettings(
        refresh_cron=_cron(env, "INSIGHTS_REFRESH_CRON", "*/30 * * * 1-5"),
        reconcile_cron=_cron(env, "INSIGHTS_RECONCILE_CRON", "15 2 * * *"),
        timezone=_timezone(env),
        digest_cron=_cron(env, "INSIGHTS_DIGEST_CRON", "0 7 * * *"),
        live_interval_seconds=_int(env, "INSIGHTS_LIVE_INTERVAL_SECONDS", 60, 0, 86_400),
        automation_on=_switch(env, "INSIGHTS_AUTOMATION", True),
    )
