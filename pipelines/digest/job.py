"""The daily Dagster job of the deadline-risk digest (schedule in pipelines/schedules.py).

It only reads the serving database, so it takes no writer lock and runs beside a refresh."""

# no `from __future__ import annotations`: Dagster reads the context and resource hints
import dagster as dg

from pipelines.digest.send import compose, send
from pipelines.resources.settings_resource import InsightsSettings

DIGEST_JOB_NAME = "deadline_risk_digest"


@dg.op(description="List each active member's clients at deadline risk and send the digests.")
def send_deadline_risk_digests(context: dg.OpExecutionContext,
                               settings: dg.ResourceParam[InsightsSettings]) -> dg.Output[int]:
    digests = compose(settings.get())
    send(settings.get(), digests, progress=context.log.info)
    errors = [error for digest in digests for error in digest.errors]
    if errors:  # every digest reached the log and webhook; only an e-mail went wrong
        raise dg.Failure("some digest e-mails failed", metadata={"errors": errors})
    at_risk = sum(len(d.clients) for d in digests)
    return dg.Output(at_risk, metadata={
        "members": len(digests), "members_with_risk": sum(1 for d in digests if d.clients),
        "clients_at_risk": at_risk})


@dg.job(name=DIGEST_JOB_NAME,
        description="The deadline-risk digest per member: alerts log, webhook, e-mail (SMTP).")
def deadline_risk_digest_job():
    send_deadline_risk_digests()
