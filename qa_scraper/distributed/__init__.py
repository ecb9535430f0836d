"""One crawl shared by several processes through Redis (``-s QA_REDIS_URL=redis://…``).

Built on scrapy-redis: its request serialisation and FIFO queue carry the article
requests from the coordinator to the workers. What it lacks for a correct run is
this thin layer, one component a module:

* **Roles.** ``-a role=coordinator`` (one per run; :mod:`.coordinator`) reads robots.txt,
  the sitemaps and the listings, owns the run (output files, manifest, SQLite state, run
  lock) and seeds article requests into the shared queue; ``-a role=worker`` (any number;
  :mod:`.worker`) fetches and extracts articles and hands items, rejects and what it saw
  (validators, 304s, 404s) back through a Redis list (:mod:`.pipelines`). What both share
  is in :mod:`.run`; which scheduler each uses, in :mod:`.scheduler`.
* **Run boundaries.** Every key is scoped by the run id (``qa:<spider>:<run>:…``;
  :mod:`.keys`). The run ends when the coordinator has nothing left to navigate, the queue
  is empty, no live worker holds an article, every result has been written and every
  seeded article has an outcome — not on an idle timer. Workers stop when the run is done.
* **Nothing lost to a kill.** A worker records each article it pops (``inflight``) and
  keeps a heartbeat; the coordinator hands the articles of a worker whose heartbeat
  expired back to the queue, and at the end re-seeds any seeded article without an
  outcome. Duplicates that this may cause are dropped by the coordinator's
  deduplication (one line per article).
* **One politeness budget.** ``QA_REDIS_RATE`` (requests per second for the whole
  site; default ``1 / DOWNLOAD_DELAY``) is shared by all workers (:mod:`.ratelimit`).
* **Lease.** The coordinator holds a Redis lease (``SET NX PX``, renewed); a second
  coordinator refuses to start (exit code 3).

The spider knows none of this: it sends what it saw of an article as signals
(:mod:`qa_scraper.signals`), which a worker forwards; the coordinator asks the spider for
navigation through signals too.
"""
