"""Alerts when a monitor fails: Spidermon actions, each on when its settings are given.

- e-mail over SMTP (:class:`~qa_scraper.extensions.email_alert.SmtpAlert`):
  ``SPIDERMON_SMTP_HOST`` and ``SPIDERMON_EMAIL_TO`` (and ``SPIDERMON_SMTP_PORT``,
  ``SPIDERMON_SMTP_USER`` / ``SPIDERMON_SMTP_PASSWORD``, ``SPIDERMON_SMTP_ENFORCE_TLS`` /
  ``SPIDERMON_SMTP_ENFORCE_SSL``, ``SPIDERMON_EMAIL_SENDER``);
- Slack: ``SPIDERMON_SLACK_SENDER_TOKEN`` (Spidermon's ``SendSlackMessageSpiderFinished``;
  needs ``pip install 'qa_scraper[alerts]'``);
- Sentry: ``SPIDERMON_SENTRY_DSN`` (Spidermon's ``SendSentryMessage``; same extra).
"""

from __future__ import annotations

import importlib.util
from typing import Any

from qa_scraper.errors import ArgumentError


def alert_actions(settings: Any) -> list[type]:
    """The alert actions the settings switch on (checked at start by :func:`check_alerts`)."""
    actions: list[type] = []
    if settings.get("SPIDERMON_SMTP_HOST") and settings.getlist("SPIDERMON_EMAIL_TO"):
        # Imported here: Spidermon's e-mail action (premailer, requests, ...) costs ≈ 0.1 s
        # at start-up, and a crawl without an e-mail alert never needs it.
        from qa_scraper.extensions.email_alert import SmtpAlert

        actions.append(SmtpAlert)
    if settings.get("SPIDERMON_SLACK_SENDER_TOKEN"):
        from spidermon.contrib.actions.slack.notifiers import SendSlackMessageSpiderFinished

        actions.append(SendSlackMessageSpiderFinished)
    if settings.get("SPIDERMON_SENTRY_DSN"):
        from spidermon.contrib.actions.sentry import SendSentryMessage

        actions.append(SendSentryMessage)
    return actions


def check_alerts(settings: Any) -> None:
    """Refuse, before anything starts, an alert that is half configured or cannot load."""
    if bool(settings.get("SPIDERMON_SMTP_HOST")) != bool(settings.getlist("SPIDERMON_EMAIL_TO")):
        raise ArgumentError(
            "e-mail alerts need both SPIDERMON_SMTP_HOST and SPIDERMON_EMAIL_TO",
            "Give both (or neither)",
        )
    port = settings.get("SPIDERMON_SMTP_PORT")
    if port not in (None, ""):
        try:
            number = int(port)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 65535:
            raise ArgumentError(
                f"SPIDERMON_SMTP_PORT={port!r} is not a port",
                "Give a number from 1 to 65535 (or leave it out: 25, or 465 with SSL)",
            )
    for setting, module in (
        ("SPIDERMON_SLACK_SENDER_TOKEN", "slack_sdk"),
        ("SPIDERMON_SENTRY_DSN", "sentry_sdk"),
    ):
        if settings.get(setting) and importlib.util.find_spec(module) is None:
            raise ArgumentError(
                f"{setting} is set but {module} is not installed",
                "Install the alerts extra: pip install 'qa_scraper[alerts]'",
            )
