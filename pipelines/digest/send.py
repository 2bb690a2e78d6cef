"""Compose each active member's deadline-risk digest and send it: the alerts log and the
webhook (pipelines.alerts.notifiers) always, an e-mail to the member when SMTP is configured.
Used by `insights digest` and the daily Dagster job."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field

from pipelines.alerts.email import EmailNotifier
from pipelines.alerts.notifiers import Alert, notify
from pipelines.digest.risk import clients_at_risk
from pipelines.read_model.connection import Database
from pipelines.read_model.queries import active_members_with_documents, data_as_of
from pipelines.read_model.scope import Member, find_member, scope_for
from pipelines.settings import Settings
from pipelines.web.dates import as_of_date

log = logging.getLogger("pipelines.digest")

REASON_TEXT = {"late_at_pace": "will not be finished by the deadline at the recent pace",
               "no_recent_throughput": "nothing processed in the last 14 days",
               "deadline_near": "deadline near"}


class UnknownMember(LookupError):
    pass


@dataclass
class Digest:
    member: Member
    clients: list[dict]
    emailed: bool = False
    errors: list[str] = field(default_factory=list)

    def title(self) -> str:
        count = len(self.clients)
        return (f"Deadline risk for {self.member.display_name}: {count} client"
                f"{'' if count == 1 else 's'}")

    def lines(self) -> list[str]:
        return [describe(risk) for risk in self.clients]


def describe(risk: dict) -> str:
    forecast = risk["forecast_finish"]
    pace = (f"{risk['throughput_per_day']:g}/day, done about {forecast}" if forecast
            else "no recent throughput")
    reasons = "; ".join(REASON_TEXT[r] for r in risk["reasons"])
    return (f"{risk['client_name']} ({risk['client_id']}): period {risk['filing_period_start']}"
            f"..{risk['filing_period_end']}, deadline {risk['filing_deadline']} "
            f"(in {risk['days_to_filing_deadline']} days), {risk['open_in_filing_period']} open, "
            f"pace {pace}, needs {risk['needed_per_day']:g}/day: {reasons}")


def compose(settings: Settings, member_email: str | None = None) -> list[Digest]:
    """Every active member's digest (or one member's), from the serving database."""
    with Database(settings.serving_path).open() as reader:
        today = as_of_date(data_as_of(reader), settings.timezone)
        if member_email:
            member = find_member(reader, email=member_email)
            if member is None:
                raise UnknownMember(f"no active team member with e-mail {member_email}")
            members = [member]
        else:
            members = [find_member(reader, user_id=user_id)
                       for user_id in active_members_with_documents(reader)]
        return [Digest(member, clients_at_risk(reader, scope_for(reader, member), today,
                                               settings.digest_deadline_days))
                for member in members if member]


def send(settings: Settings, digests: list[Digest],
         progress: Callable[[str], None] = log.info) -> None:
    """Members with nothing at risk get nothing: a digest only when there is something to do."""
    mailer = EmailNotifier(settings.smtp) if settings.smtp else None
    for digest in digests:
        if not digest.clients:
            continue
        notify(settings, Alert(kind="deadline_risk", title=digest.title(),
                               details=[f"to {digest.member.email}", *digest.lines()]))
        if mailer:
            body = "\n".join([digest.title(), "", *[f"- {line}" for line in digest.lines()]])
            try:
                mailer.send_to(digest.member.email, digest.title(), body)
                digest.emailed = True
            except (smtplib.SMTPException, OSError) as error:
                digest.errors.append(f"e-mail to {digest.member.email} failed: "
                                     f"{type(error).__name__}: {error}")
        progress(f"{digest.member.email}: {len(digest.clients)} client(s) at risk"
                 + (", e-mailed" if digest.emailed else "")
                 + "".join(f" ({e})" for e in digest.errors))
