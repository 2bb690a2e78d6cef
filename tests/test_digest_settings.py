"""The digest's settings: SMTP (INSIGHTS_SMTP_*), the deadline window and the schedule."""

import pytest

from pipelines.settings import SettingsError, load_schedule_settings, load_settings

SMTP = {"INSIGHTS_SMTP_HOST": "mail.firm.example", "INSIGHTS_SMTP_FROM": "insights@firm.example"}


def test_defaults():
    settings = load_settings({})
    assert settings.smtp is None and settings.digest_deadline_days == 7
    assert load_schedule_settings({}).digest_cron == "0 7 * * *"
    smtp = load_settings(SMTP).smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.username) == (
        "mail.firm.example", 587, "starttls", None)
    assert load_settings({**SMTP, "INSIGHTS_SMTP_SECURITY": "ssl"}).smtp.port == 465


def test_values_are_parsed_and_the_password_is_hidden():
    settings = load_settings({**SMTP, "INSIGHTS_SMTP_PORT": "2525", "INSIGHTS_SMTP_SECURITY":
                              "NONE", "INSIGHTS_SMTP_USERNAME": "bot",
                              "INSIGHTS_SMTP_PASSWORD": "hunter2",
                              "INSIGHTS_DIGEST_DEADLINE_DAYS": "10"})
    assert (settings.smtp.port, settings.smtp.security) == (2525, "none")
    assert settings.digest_deadline_days == 10
    assert "hunter2" not in repr(settings) and "hunter2" not in repr(settings.smtp)


@pytest.mark.parametrize(("values", "variable"), [
    ({**SMTP, "INSIGHTS_SMTP_SECURITY": "tls"}, "INSIGHTS_SMTP_SECURITY"),
    ({"INSIGHTS_SMTP_HOST": "mail.firm.example"}, "INSIGHTS_SMTP_FROM"),
    ({**SMTP, "INSIGHTS_SMTP_FROM": "insights"}, "INSIGHTS_SMTP_FROM"),
    ({**SMTP, "INSIGHTS_SMTP_USERNAME": "bot"}, "INSIGHTS_SMTP_PASSWORD"),
    ({**SMTP, "INSIGHTS_SMTP_PASSWORD": "hunter2"}, "INSIGHTS_SMTP_USERNAME"),
    ({**SMTP, "INSIGHTS_SMTP_PORT": "0"}, "INSIGHTS_SMTP_PORT"),
    ({"INSIGHTS_DIGEST_DEADLINE_DAYS": "-1"}, "INSIGHTS_DIGEST_DEADLINE_DAYS"),
])
def test_a_bad_value_names_the_variable(values, variable):
    with pytest.raises(SettingsError) as caught:
        load_settings(values)
    assert caught.value.variable == variable
    assert "\n" not in str(caught.value) and "hunter2" not in str(caught.value)


def test_a_bad_digest_cron_names_the_variable():
    with pytest.raises(SettingsError) as caught:
        load_schedule_settings({"INSIGHTS_DIGEST_CRON": "every morning"})
    assert caught.value.variable == "INSIGHTS_DIGEST_CRON"


def test_the_daily_schedule_runs_the_digest_job():
    from pipelines.definitions import defs

    schedules = {s.name: s for s in defs.schedules}
    digest = schedules["daily_deadline_risk_digest"]
    assert (digest.job_name, digest.cron_schedule) == ("deadline_risk_digest", "0 7 * * *")
    assert digest.execution_timezone == "Europe/Brussels"
    # it only reads the serving database: no writer tag, so it never waits for a refresh
    assert "insights/writer" not in defs.resolve_job_def("deadline_risk_digest").tags
