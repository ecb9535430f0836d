"""The project's own signals (sent and caught through Scrapy's Signals API).

They keep the spider and what records or carries its work apart, in one direction each:

* what the spider saw of an article (sent by the spider; caught by the run,
  :class:`qa_scraper.extensions.crawl_run.CrawlRunExtension`, or in a distributed worker
  by :class:`qa_scraper.distributed.worker.Worker`, which forwards it to the coordinator);
* what a distributed coordinator needs navigated (sent by
  :class:`qa_scraper.distributed.coordinator.Coordinator`; caught by the spider).

Neither side imports the other: both import this module.
"""

# --- sent by the spider: what it saw of an article ---------------------------------------
#: An article page was read: ``article_id, url, status, etag, last_modified, lastmod``.
article_fetched = object()
#: A conditional request was answered 304: ``article_id, url, lastmod``.
article_not_modified = object()
#: An article is missing (404, 410, soft 404): ``article_id, url, status``.
article_not_found = object()
#: The request for an article was answered by another article's page (a same-site
#: redirect): ``article_id`` (the one requested), ``url`` (where it landed).
article_redirected = object()

# --- sent by a distributed coordinator: what it needs navigated --------------------------
#: The shared queue may have room for more articles (the workers drain it with no
#: callback in this process): the spider hands the scheduler its next ones.
articles_wanted = object()
#: ``item``, read by a worker, has reached this process: the spider follows its links.
item_received = object()
#: An article handed out got no outcome (its worker died, Redis lost it): ``url``, to be
#: requested again, plainly.
article_lost = object()
