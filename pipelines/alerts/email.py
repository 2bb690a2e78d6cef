"""The e-mail channel (SMTP): used by the deadline-risk digest, one message per member.

Unlike the log and the webhook, which reach the data team, an e-mail goes to one person, so it
takes its recipient. An SMTP failure raises: the caller reports it and goes on with the next
member (the digest is in the alerts log either way)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from pipelines.settings import SmtpSettings


class EmailNotifier:
    def __init__(self, smtp: SmtpSettings, timeout_seconds: float = 30.0):
        self._smtp = smtp
        self._timeout = timeout_seconds

    def send_to(self, recipient: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._smtp.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        smtp = self._smtp
        if smtp.security == "ssl":
            server = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=self._timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=self._timeout)
        with server:
            if smtp.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if smtp.username and smtp.password:
                server.login(smtp.username, str(smtp.password))
            server.send_message(message)
