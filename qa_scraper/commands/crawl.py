"""``scrapy crawl``, with the project's exit codes (:class:`qa_scraper.errors.ExitCode`).

Scrapy's own ``crawl`` exits 0 whether the run delivered, fetched nothing or was
interrupted, and prints a traceback when a spider refuses its arguments. This one
prints a refusal (:class:`~qa_scraper.errors.SetupError`) as one line and exits
with its code, and otherwise exits with the code the run recorded in the stats
(``qa/exit_code``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from qa_scraper.arguments import normalized_log_level
from qa_scraper.errors import ArgumentError, ExitCode, SetupError, exit_code_for

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def short_desc(self) -> str:
        return "Run a spider of the project (exit codes: see README, 'Exit codes')"

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        """Scrapy's, then ``LOG_LEVEL`` checked before Scrapy sets up logging with it (a bad one
        would end there in a traceback): refused in one line, exit code 2."""
        super().process_options(args, opts)
        assert self.settings is not None
        try:
            level = normalized_log_level(self.settings.get("LOG_LEVEL"))
        except ArgumentError as error:
            sys.stderr.write(f"qa_scraper: refused: {error}\n")
            sys.exit(int(error.exit_code))
        self.settings.set("LOG_LEVEL", level, priority=self.settings.getpriority("LOG_LEVEL"))

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name: scrapy crawl doctorqna")
        assert self.crawler_process is not None
        crawler = self._create_crawler(args[0])
        failures: list[BaseException] = []
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        _on_failure(started, failures.append)
        self.exitcode = int(ExitCode.INTERRUPTED)  # unless the crawl gets to say otherwise
        self.crawler_process.start()
        _ignore_stop_signals()
        error = failures[0] if failures else None
        if isinstance(error, SetupError):
            sys.stderr.write(f"qa_scraper: refused: {error}\n")
            if self.settings is not None and self.settings.get("LOG_FILE"):
                # scrapyd (and any LOG_FILE) keeps the job's log, not its stderr or exit code
                logger.error("qa_scraper: refused (exit code %d): %s", error.exit_code, error)
            self.exitcode = int(error.exit_code)
        elif error is not None:
            logger.error("The crawl failed to start", exc_info=error)
            self.exitcode = int(ExitCode.ERROR)
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = int(ExitCode.ERROR)
        else:
            stats = crawler.stats
            code = stats.get_value("qa/exit_code")  # set by the run, when there is one
            if code is None:
                code = exit_code_for(
                    stats.get_value("finish_reason"), bool(stats.get_value("qa/usable_responses"))
                )
            self.exitcode = int(code)


def _ignore_stop_signals() -> None:
    """The crawl is over: a stop signal from here on has nothing left to stop. Scrapy's
    handlers stay installed after its reactor stops, and Python resets them to the system's
    default as it exits: a Ctrl-C pressed twice, the second press landing as a quickly closed
    run exits, would end the process by SIGINT instead of with its exit code (6)."""
    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def _on_failure(started: Any, record: Any) -> None:
    """Collect the exception of a crawl that failed (an asyncio Task or a Deferred);
    collecting it also keeps asyncio/Twisted from printing it as unhandled."""
    if isinstance(started, asyncio.Future):

        def done(task: asyncio.Future) -> None:
            if not task.cancelled() and task.exception() is not None:
                record(task.exception())

        started.add_done_callback(done)
    elif hasattr(started, "addErrback"):
        started.addErrback(lambda failure: record(failure.value))
