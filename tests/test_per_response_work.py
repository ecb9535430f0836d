"""Settings that cut Scrapy's work per response (issue 21), and what makes them safe:

- WARN_ON_GENERATOR_RETURN_VALUE = False: the check Scrapy would run on every response runs
  once here: no callback or errback of the spider is a generator that returns a value (its
  items would be lost without a word);
- CONCURRENT_ITEMS = 1: one output of a callback at a time, which costs nothing while every
  item pipeline is synchronous (an asynchronous one would then wait for each item in turn).
"""

from __future__ import annotations

import inspect

from scrapy.utils.misc import is_generator_with_return_value, load_object

from qa_scraper import settings
from qa_scraper.distributed import pipelines as distributed_pipelines
from qa_scraper.spiders.doctorqna import DoctorQnASpider


def _generator_methods() -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(DoctorQnASpider, inspect.isgeneratorfunction)
        if member.__module__.startswith("qa_scraper.")
    }


def test_scrapy_s_per_response_check_is_off() -> None:
    assert settings.WARN_ON_GENERATOR_RETURN_VALUE is False


def test_no_spider_generator_returns_a_value() -> None:
    methods = _generator_methods()
    # the callbacks the spider's requests name, at least
    assert {"parse_article", "parse_sitemap", "parse_navigation", "parse_rendered"} <= set(methods)
    assert [
        name for name, method in methods.items() if is_generator_with_return_value(method)
    ] == []


def test_the_check_finds_a_generator_that_returns_a_value() -> None:
    class Spider(DoctorQnASpider):
        def parse_article(self, response):  # type: ignore[no-untyped-def, override]
            yield {"a": 1}
            return "lost"

    assert is_generator_with_return_value(Spider.parse_article)


def test_one_output_at_a_time_while_every_item_pipeline_is_synchronous() -> None:
    assert settings.CONCURRENT_ITEMS == 1
    classes = [load_object(path) for path in settings.ITEM_PIPELINES]
    classes += [
        member
        for _, member in inspect.getmembers(distributed_pipelines, inspect.isclass)
        if hasattr(member, "process_item") and member.__module__ == distributed_pipelines.__name__
    ]
    assert len(classes) > len(settings.ITEM_PIPELINES)  # (the distributed one too)
    for pipeline in classes:
        assert not inspect.iscoroutinefunction(pipeline.process_item), pipeline
        assert not inspect.isasyncgenfunction(pipeline.process_item), pipeline
