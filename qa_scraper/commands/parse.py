"""``scrapy parse --spider doctorqna <article URL>``: extract that page and stop.

Scrapy's own ``parse`` starts the spider with only the given request; ours also keeps the
spider from walking the site once that page is done (``QA_SINGLE_PAGE``), writes no run
file and touches no crawl state, runs no monitors, and takes the page's own site as
``base_url`` unless ``-a base_url`` is given (the same-host guard would refuse it otherwise).
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.http import Response
from twisted.python.failure import Failure

# Above the project's settings (20), below -s on the command line (40).
PRIORITY = 30


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        for name, value in (("QA_SINGLE_PAGE", True), ("QA_OUTPUT_DIR", ""), ("QA_STATE_PATH", "")):
            self.settings.set(name, value, priority=PRIORITY)

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
