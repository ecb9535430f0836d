"""``scrapy parse --spider doctorqna <article URL>``: extract that page and stop.

Scrapy's own ``parse`` starts the spider with only the given request; ours also keeps the
spider from walking the site once that page is done (``QA_SINGLE_PAGE``), writes no run
file and touches no crawl state, runs no monitors, and takes the page's own site as
``base_url`` unless ``-a base_url`` is given (the same-host guard would refuse it otherwise).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.http import Response
from twisted.python.failure import Failure

from qa_scraper.commands.crawl import _on_failure
from qa_scraper.errors import ExitCode, SetupError

logger = logging.getLogger(__name__)

# Above the project's settings (20), below -s on the command line (40).
PRIORITY = 30


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        for name, value in (("QA_SINGLE_PAGE", True), ("QA_OUTPUT_DIR", ""), ("QA_STATE_PATH", "")):
            self.settings.set(name, value, priority=PRIORITY)

    def start_parsing(self, url: str, opts: argparse.Namespace) -> None:
        """Scrapy's, but a refused argument is one line and its exit code (not a traceback),
        and a page that gave no response exits 1, saying why when the stats tell."""
        assert self.crawler_process is not None and self.spidercls is not None
        self.pcrawler = self._create_crawler(self.spidercls)
        failures: list[BaseException] = []
        _on_failure(self.crawler_process.crawl(self.pcrawler, **opts.spargs), failures.append)
        self.crawler_process.start()
        error = failures[0] if failures else None
        if isinstance(error, SetupError):
            sys.stderr.write(f"qa_scraper: refused: {error}\n")
            self.exitcode, self.refused = int(error.exit_code), True
        elif error is not None:
            logger.error("The parse failed to start", exc_info=error)
            self.exitcode, self.refused = int(ExitCode.ERROR), True
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = int(ExitCode.ERROR)
        elif not self.first_response:
            logger.error("No response downloaded for: %s%s", url, _why(self.pcrawler.stats))
            self.exitcode = int(ExitCode.ERROR)

    def print_results(self, opts: argparse.Namespace) -> None:
        if not getattr(self, "refused", False):
            super().print_results(opts)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and "base_url" not in opts.spargs:
            parts = urlsplit(args[0])
            if parts.scheme in ("http", "https") and parts.netloc:
                opts.spargs["base_url"] = f"{parts.scheme}://{parts.netloc}/"
        super().run(args, opts)

    def prepare_request(self, spider: Spider, request: Request, opts: argparse.Namespace) -> Any:
        """Scrapy's request, whose callback hands back the (already fired) Deferred's result:
        a callback returning a Deferred is deprecated (a warning in every parse)."""
        request = super().prepare_request(spider, request, opts)
        wrapped = request.callback

        def callback(response: Response, **cb_kwargs: Any) -> Any:
            deferred = wrapped(response, **cb_kwargs)
            outcome: list[Any] = []
            deferred.addBoth(outcome.append)
            if not outcome:
                return deferred  # not fired yet (an asynchronous callback)
            if isinstance(outcome[0], Failure):
                outcome[0].raiseException()
            return outcome[0]

        callback.__name__ = getattr(wrapped, "__name__", "callback")
        request.callback = callback
        return request


def _why(stats: Any) -> str:
    """Why the page gave no response, from the crawl's stats (empty when they don't say)."""
    values = stats.get_stats() if stats is not None else {}
    if values.get("offsite/filtered") or any(k.startswith("qa/offsite_refused") for k in values):
        return " (another host than base_url's: not requested)"
    if values.get("robotstxt/forbidden"):
        return " (disallowed by robots.txt)"
    statuses = sorted(
        key.rsplit("/", 1)[1]
        for key in values
        if key.startswith("downloader/response_status_count/") and key[-3:] >= "400"
    )
    if statuses:
        return f" (HTTP {statuses[-1]})"
    errors = [key.rsplit("/", 1)[1] for key in values if key.startswith("retry/reason_count/")]
    errors += [
        key.rsplit("/", 1)[1]
        for key in values
        if key.startswith("downloader/exception_type_count/")
    ]
    return f" ({errors[0]})" if errors else ""
