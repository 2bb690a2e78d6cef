from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.settings import DEFAULT_DOCUMENTS_URL_TEMPLATE, SettingsError, load_settings


def test_defaults_follow_the_operating_contract(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings({})
    assert settings.home == (tmp_path / ".insights").resolve()
    assert settings.home.is_absolute()
    assert settings.timezone == "Europe/Brussels"
    assert settings.lookback_minutes == 10
    assert settings.as_of is None
    assert settings.api_url is None
    assert settings.postgres_dsn is None
    assert settings.documents_url_template == DEFAULT_DOCUMENTS_URL_TEMPLATE
    assert settings.serving_path == settings.home / "serving" / "insights.duckdb"


def test_values_are_parsed(tmp_path):
    settings = load_settings({
        "INSIGHTS_HOME": str(tmp_path / "h"),
        "INSIGHTS_API_URL": "http://127.0.0.1:8765/",
        "INSIGHTS_API_CLIENT_ID": "id",
        "INSIGHTS_API_CLIENT_SECRET": "s3cret",
        "INSIGHTS_TIMEZONE": "Europe/Amsterdam",
        "INSIGHTS_AS_OF": "2026-03-31T22:30:00Z",
        "INSIGHTS_LOOKBACK_MINUTES": "15",
    })
    assert settings.home == tmp_path / "h"
    assert settings.api_url == "http://127.0.0.1:8765"
    assert settings.as_of == datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert settings.lookback_minutes == 15
    settings.require_api()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("INSIGHTS_LOOKBACK_MINUTES", "ten", "INSIGHTS_LOOKBACK_MINUTES: must be a whole number"),
        ("INSIGHTS_LOOKBACK_MINUTES", "-1", "INSIGHTS_LOOKBACK_MINUTES: must be between"),
        ("INSIGHTS_TIMEZONE", "Mars/Olympus", "INSIGHTS_TIMEZONE: must be an IANA time zone"),
        ("INSIGHTS_AS_OF", "2026-03-31 22:30", "INSIGHTS_AS_OF: must be an RFC 3339 timestamp"),
        ("INSIGHTS_AS_OF", "yesterday", "INSIGHTS_AS_OF: must be an RFC 3339 timestamp"),
        ("INSIGHTS_API_URL", "localhost:8765", "INSIGHTS_API_URL: must be an absolute http(s) URL"),
        ("INSIGHTS_DOCUMENTS_URL_TEMPLATE", "https://x.example/{category}",
         "INSIGHTS_DOCUMENTS_URL_TEMPLATE: must contain the placeholder {client_id}"),
        ("INSIGHTS_DOCUMENTS_URL_TEMPLATE", "https://x.example/{client_id}/{category}/{user}",
         "INSIGHTS_DOCUMENTS_URL_TEMPLATE: may only use the placeholders"),
        ("INSIGHTS_POSTGRES_DSN", "mysql://u:pw@h/db",
         "INSIGHTS_POSTGRES_DSN: must be a postgresql"),
        ("INSIGHTS_SERVE_IDENTITY_HEADER", "X Forwarded Email",
         "INSIGHTS_SERVE_IDENTITY_HEADER: must be an HTTP header name"),
        ("INSIGHTS_SERVE_IDENTITY_HEADER", "X-User:",
         "INSIGHTS_SERVE_IDENTITY_HEADER: must be an HTTP header name"),
        ("INSIGHTS_SERVE_POSTGRES_DSN", "mysql://u:hunter2@h/db",
         "INSIGHTS_SERVE_POSTGRES_DSN: must be a postgresql"),
        ("DAGSTER_HOME", "dagster-home", "DAGSTER_HOME: must be an absolute path"),
        ("DAGSTER_HOME", "/nonexistent/dagster-home", "DAGSTER_HOME: must be an existing folder"),
    ],
)
def test_a_bad_value_gives_one_line_naming_the_variable(variable, value, expected):
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert "hunter2" not in message  # a password in a rejected DSN is not echoed
    assert caught.value.variable == variable
    assert caught.value.variable == variable


def test_a_home_that_is_a_file_or_under_one_is_refused(tmp_path):
    file = tmp_path / "home"
    file.write_text("not a folder")
    for home, what in ((file, "is a file"), (file / "sub", f"is under {file}, which is a file")):
        with pytest.raises(SettingsError) as caught:
            load_settings({"INSIGHTS_HOME": str(home)})
        assert str(caught.value) == f"INSIGHTS_HOME: must be a folder; {home} {what}"
    assert load_settings({"INSIGHTS_HOME": str(tmp_path / "new" / "home")}).home.name == "home"


def test_insights_debug_is_a_switch():
    from pipelines.settings import debug_enabled

    assert debug_enabled({}) is False and debug_enabled({"INSIGHTS_DEBUG": "1"}) is True
    with pytest.raises(SettingsError, match="INSIGHTS_DEBUG: must be 1 or 0"):
        debug_enabled({"INSIGHTS_DEBUG": "verbose"})


def test_the_postgres_password_is_never_echoed():
    with pytest.raises(SettingsError) as caught:
        load_settings({"INSIGHTS_POSTGRES_DSN": "mysql://u:hunter2@h/db"})
    assert "hunter2" not in str(caught.value)


def test_missing_api_settings_name_the_variable():
    settings = load_settings({"INSIGHTS_API_URL": "http://127.0.0.1:1"})
    with pytest.raises(SettingsError, match="^INSIGHTS_API_CLIENT_ID: is not set"):
        settings.require_api()


def test_secrets_do_not_show_in_repr():
    settings = load_settings({"INSIGHTS_API_CLIENT_SECRET": "s3cret-value",
                              "INSIGHTS_POSTGRES_DSN": "postgresql://u:pw-value@h/db"})
    assert "s3cret-value" not in repr(settings)
    assert "pw-value" not in repr(settings)
    assert "s3cret-value" not in repr(settings.api_client_secret)


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path(".env").write_text("INSIGHTS_LOOKBACK_MINUTES=20\nINSIGHTS_TIMEZONE=Europe/Paris\n")
    monkeypatch.setenv("INSIGHTS_TIMEZONE", "Europe/Luxembourg")
    settings = load_settings()
    assert settings.lookback_minutes == 20
    assert settings.timezone == "Europe/Luxembourg"


def test_cli_stops_with_one_clear_line(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSIGHTS_LOOKBACK_MINUTES", "soon")
    assert main(["refresh"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["insights: configuration error: INSIGHTS_LOOKBACK_MINUTES: must be a whole "
                   "number, got 'soon'"]


def test_serve_settings_have_defaults_and_are_validated():
    settings = load_settings({})
    assert settings.serve_identity_header == "X-Forwarded-Email"
    assert settings.serve_postgres_dsn is None
    settings = load_settings({"INSIGHTS_SERVE_IDENTITY_HEADER": "X-Auth-Request-Email",
                              "INSIGHTS_SERVE_POSTGRES_DSN": "postgresql://insights_web:pw-x@h/db"})
    assert settings.serve_identity_header == "X-Auth-Request-Email"
    assert settings.serve_postgres_dsn == "postgresql://insights_web:pw-x@h/db"
    assert "pw-x" not in repr(settings)


def test_the_duckdb_memory_limit_is_a_size():
    assert load_settings({}).duckdb_memory_limit == "3GB"
    assert load_settings({"INSIGHTS_DUCKDB_MEMORY_LIMIT": "512MB"}).duckdb_memory_limit == "512MB"
    with pytest.raises(SettingsError, match="INSIGHTS_DUCKDB_MEMORY_LIMIT"):
        load_settings({"INSIGHTS_DUCKDB_MEMORY_LIMIT": "lots"})


def test_dbt_builds_one_node_at_a_time_unless_told_and_the_vars_carry_it():
    from pipelines.assets.warehouse import dbt_vars

    assert load_settings({}).dbt_threads == 1
    assert dbt_vars(load_settings({"INSIGHTS_DBT_THREADS": "2"}))["dbt_threads"] == "2"
    for wrong in ("0", "two"):
        with pytest.raises(SettingsError, match="INSIGHTS_DBT_THREADS"):
            load_settings({"INSIGHTS_DBT_THREADS": wrong})
