"""The deadline-risk digest over the shared refresh: the rule against the marts read directly,
delivery to a real webhook receiver and a real SMTP server (aiosmtpd) on loopback, the CLI,
the Dagster job, and the same list atop "Needs attention"."""

from __future__ import annotations

import json
import math
import shutil
import threading
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from pipelines.digest.job import deadline_risk_digest_job
from pipelines.digest.send import compose, send
from pipelines.resources.settings_resource import InsightsSettings
from pipelines.settings import SmtpSettings
from pipelines.web.app import create_app
from tests.published_firm import AS_OF_DATE
from tests.web.conftest import HEADER, free_port, marts_rows


@pytest.fixture
def home(served, tmp_path):
    """A home of its own (its alerts.log) over a copy of the shared serving database."""
    settings = replace(served, home=tmp_path / "home")
    settings.serving_path.parent.mkdir(parents=True)
    shutil.copy(served.serving_path, settings.serving_path)
    return settings


@pytest.fixture
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/digest", received
    server.shutdown()


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, mail))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpSettings(host="127.0.0.1", port=controller.port, security="none",
                       sender="insights@firm.example"), inbox
    controller.stop()


def expected_at_risk(served, member, within_days: int) -> dict[str, set[str]]:
    """client_id -> reasons, from the marts by the tests' own SQL and arithmetic."""
    ids = sorted(member.clients)
    rows = marts_rows(served, f"""
        select o.client_id, o.filing_deadline, o.days_to_filing_deadline,
            (select count(*) from marts.fct_documents d where d.client_id = o.client_id
               and d.vat_period_start = o.filing_period_start and d.category <> 'OTHER'
               and d.insights_status <> 'processed') as open_documents,
            (select coalesce(sum(b.processed_count), 0) from marts.fct_client_backlog_daily b
               where b.client_id = o.client_id and b.calendar_date > ?
               and b.calendar_date <= ?) as processed_14
        from marts.mart_client_overview o
        where o.filing_period_start is not null
          and o.client_id in ({", ".join("?" for _ in ids)})""",
                      [AS_OF_DATE - timedelta(days=14), AS_OF_DATE, *ids])
    found = {}
    for client_id, deadline, days_left, open_documents, processed in rows:
        if not open_documents:
            continue
        reasons = set()
        if processed == 0:
            reasons.add("no_recent_throughput")
        elif AS_OF_DATE + timedelta(days=math.ceil(open_documents * 14 / processed)) > deadline:
            reasons.add("late_at_pace")
        if days_left <= within_days:
            reasons.add("deadline_near")
        if reasons:
            found[client_id] = reasons
    return found


@pytest.mark.parametrize("within_days", [0, 7, 30])
def test_the_digest_lists_what_the_marts_say(served, accountants, within_days):
    settings = replace(served, digest_deadline_days=within_days)
    for member in accountants:
        (digest,) = compose(settings, member.email.upper())
        got = {risk["client_id"]: set(risk["reasons"]) for risk in digest.clients}
        assert got == expected_at_risk(served, member, within_days), member.email
        assert set(got) <= set(member.clients), "only the member's own clients"
        deadlines = [risk["filing_deadline"] for risk in digest.clients]
        assert deadlines == sorted(deadlines)


def test_the_rule_finds_both_kinds_of_risk(served, accountants):
    """On the test firm the pace rule and the deadline rule each list someone, so the
    comparison above covers both branches."""
    digests = compose(replace(served, digest_deadline_days=7))
    reasons = {r for d in digests for risk in d.clients for r in risk["reasons"]}
    assert "deadline_near" in reasons
    assert reasons & {"late_at_pace", "no_recent_throughput"}
    assert compose(replace(served, digest_deadline_days=0)) != digests


def test_every_member_who_sees_documents_gets_a_digest(served, client_manager):
    digests = compose(served)
    emails = {digest.member.email for digest in digests}
    (expected,) = marts_rows(served, "select count(*) from marts.dim_team_members"
                                     " where is_active and sees_client_documents")
    assert len(digests) == expected[0]
    assert client_manager.email not in emails


def test_the_digest_reaches_the_log_the_webhook_and_the_smtp_server(home, webhook, smtp_server):
    url, received = webhook
    smtp, inbox = smtp_server
    settings = replace(home, alert_webhook_url=url, smtp=smtp)
    digests = compose(settings)
    with_risk = [d for d in digests if d.clients]
    assert with_risk, "the test firm should have clients at risk"
    lines: list[str] = []
    send(settings, digests, progress=lines.append)
    assert len(received) == len(with_risk) == len(inbox.messages) == len(lines)
    logged = [json.loads(line) for line in (settings.home / "alerts.log").read_text().splitlines()]
    assert [entry["kind"] for entry in logged] == ["deadline_risk"] * len(with_risk)
    for digest, hook, entry, (recipients, mail) in zip(with_risk, received, logged,
                                                       inbox.messages, strict=True):
        assert recipients == [digest.member.email]
        assert mail["Subject"] == digest.title() == entry["title"]
        assert mail["From"] == "insights@firm.example"
        body = mail.get_content()
        for risk in digest.clients:
            assert risk["client_name"] in body and risk["client_name"] in hook["text"]
            assert f"{risk['open_in_filing_period']} open" in body
            assert str(risk["filing_deadline"]) in hook["text"]
        assert digest.emailed and not digest.errors


def test_an_smtp_outage_is_reported_and_the_log_still_has_the_digest(home):
    dead = SmtpSettings(host="127.0.0.1", port=free_port(), security="none",
                        sender="insights@firm.example")
    settings = replace(home, smtp=dead)
    digests = compose(settings)
    send(settings, digests, progress=lambda line: None)
    with_risk = [d for d in digests if d.clients]
    assert all(d.errors and not d.emailed for d in with_risk)
    assert "ConnectionRefusedError" in with_risk[0].errors[0]
    assert len((settings.home / "alerts.log").read_text().splitlines()) == len(with_risk)


def test_the_cli_sends_one_members_digest(home, accountants, webhook, smtp_server, monkeypatch,
                                          capsys):
    from pipelines.cli import main

    url, received = webhook
    smtp, inbox = smtp_server
    member = max(accountants, key=lambda m: len(compose(home, m.email)[0].clients))
    for name, value in {"INSIGHTS_HOME": str(home.home), "INSIGHTS_ALERT_WEBHOOK_URL": url,
                        "INSIGHTS_SMTP_HOST": "127.0.0.1", "INSIGHTS_SMTP_PORT": str(smtp.port),
                        "INSIGHTS_SMTP_SECURITY": "none",
                        "INSIGHTS_SMTP_FROM": "insights@firm.example",
                        "INSIGHTS_TIMEZONE": "Europe/Brussels"}.items():
        monkeypatch.setenv(name, value)
    assert main(["digest", "--member", member.email, "--dry-run"]) == 0
    assert received == [] and inbox.messages == []
    assert main(["digest", "--member", member.email]) == 0
    out = capsys.readouterr().out
    assert f"Deadline risk for {member.display_name}" in out
    assert len(received) == 1 and [r for r, _ in inbox.messages] == [[member.email]]
    assert main(["digest", "--member", "nobody@firm.example"]) == 1


def test_the_dagster_job_sends_the_digests(home, webhook):
    url, received = webhook
    settings = replace(home, alert_webhook_url=url)
    result = deadline_risk_digest_job.execute_in_process(
        resources={"settings": InsightsSettings(settings)})
    assert result.success
    expected = sum(1 for d in compose(settings) if d.clients)
    assert len(received) == expected > 0
    assert result.output_for_node("send_deadline_risk_digests") == sum(
        len(d.clients) for d in compose(settings))


def test_needs_attention_shows_the_same_list(served, accountants):
    client = TestClient(create_app(served))
    for member in accountants:
        (digest,) = compose(served, member.email)
        data = client.get("/api/attention", headers={HEADER: member.email}).json()
        assert [r["client_id"] for r in data["deadline_risk"]] == [
            r["client_id"] for r in digest.clients]
        page = client.get("/attention", headers={HEADER: member.email}).text
        assert page.index('id="deadline-risk"') < page.index('class="attention stack"')
        for risk in digest.clients:
            assert f'<tr data-client="{risk["client_id"]}">' in page
