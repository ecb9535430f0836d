"""The e-mail alert: Spidermon's SMTP e-mail action, sent before the close goes on.

Its own module so that Spidermon's e-mail action (premailer, requests, cssutils: ≈ 0.1 s of
imports) is loaded only when an e-mail alert is configured
(:func:`qa_scraper.extensions.alerts.alert_actions`).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from typing import Any, ClassVar

from spidermon.contrib.actions.email import SendEmail

logger = logging.getLogger(__name__)

SUBJECT = (
    "qa_scraper run {{ data.qa.run_id }}: monitors failed"
    " ({{ result.monitors_failed_results|length }})"
)
BODY = """The run {{ data.qa.run_id }} of {{ data.spider.name if data.spider else 'doctorqna' }} \
was delivered, but a monitor failed (exit code 7).
{% for entry in result.monitors_failed_results %}
- {{ entry.monitor.monitor_name }}/{{ entry.monitor.method_name }}:
  {{ entry.error.split("AssertionError: ")[-1].strip() if entry.error else entry.reason }}
{%- endfor %}

Manifest: {{ data.qa.manifest }}
"""


class SmtpAlert(SendEmail):
    """Spidermon's SMTP e-mail action (its settings, subject and body templates), sent with
    smtplib before the close goes on: Spidermon's own sends through Twisted without waiting,
    and a crawl process may end before the message is out. User and password are optional
    (a local relay needs none)."""

    subject = SUBJECT
    body_text = BODY
    sender = "qa_scraper@localhost"
    timeout: ClassVar[float] = 30.0

    def __init__(
        self,
        smtp_host: str | None = None,
        smtp_port: int | None = None,
        smtp_user: str | None = None,
        smtp_password: str | None = None,
        smtp_enforce_tls: bool | None = None,
        smtp_enforce_ssl: bool | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port or (465 if smtp_enforce_ssl else 25)
        self.smtp_user, self.smtp_password = smtp_user, smtp_password
        self.smtp_enforce_tls, self.smtp_enforce_ssl = (
            bool(smtp_enforce_tls),
            bool(smtp_enforce_ssl),
        )

    @classmethod
    def from_crawler_kwargs(cls, crawler: Any) -> dict[str, Any]:
        """Spidermon's SendSmtpEmail settings (that module imports the deprecated scrapy.mail)."""
        settings = crawler.settings
        return {
            **super().from_crawler_kwargs(crawler),
            "smtp_host": settings.get("SPIDERMON_SMTP_HOST"),
            "smtp_port": settings.getint("SPIDERMON_SMTP_PORT") or None,
            "smtp_user": settings.get("SPIDERMON_SMTP_USER"),
            "smtp_password": settings.get("SPIDERMON_SMTP_PASSWORD"),
            "smtp_enforce_tls": settings.getbool("SPIDERMON_SMTP_ENFORCE_TLS"),
            "smtp_enforce_ssl": settings.getbool("SPIDERMON_SMTP_ENFORCE_SSL"),
        }

    def send_message(self, message: Any, **kwargs: Any) -> None:
        recipients = [*self.to, *(self.cc or []), *(self.bcc or [])]
        smtp_class = smtplib.SMTP_SSL if self.smtp_enforce_ssl else smtplib.SMTP
        try:
            with smtp_class(self.smtp_host, self.smtp_port, timeout=self.timeout) as smtp:
                if self.smtp_enforce_tls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.smtp_user:
                    smtp.login(self.smtp_user, self.smtp_password or "")
                smtp.sendmail(self.sender, recipients, message.as_string())
        except (OSError, smtplib.SMTPException) as error:
            logger.error(
                "Alert e-mail to %s via %s:%s failed: %s",
                ", ".join(recipients),
                self.smtp_host,
                self.smtp_port,
                error,
            )
            raise
        logger.info("Alert e-mail sent to %s", ", ".join(recipients))
