"""Scrapy settings: polite defaults for the real site; every one overridable with ``-s``."""

# Imported here, while the stack is shallow: this module makes deprecated class aliases
# with Scrapy's create_deprecated_class, which calls inspect.stack() (the source of every
# frame on the stack is read), which costs more the deeper the stack and the more modules are
# loaded. Imported here rather than where Scrapy first needs it (building the engine, deep in
# the reactor's start), a 1-article crawl's start takes 3.36 → 3.19 G instructions (callgrind).
import scrapy.core.downloader.handlers.http11  # noqa: F401  (installs no reactor)
from scrapy.settings import default_settings as _scrapy_defaults

BOT_NAME = "qa_scraper"
SPIDER_MODULES = ["qa_scraper.spiders"]
NEWSPIDER_MODULE = "qa_scraper.spiders"
COMMANDS_MODULE = "qa_scraper.commands"  # `crawl` with exit codes (qa_scraper/errors.py)

# Identify ourselves and obey the site's rules.
USER_AGENT = "qa_scraper/0.1 (+https://example.org/qa_scraper; contact: data-team@example.org)"
ROBOTSTXT_OBEY = True

# Politeness: AutoThrottle adapts to the server; never more than 2 requests at once.
CONCURRENT_REQUESTS = 8
# Outputs of one callback handled at once. Scrapy starts this many asyncio tasks (and one more)
# for every response; ours yield an item and a few requests each, and every pipeline is
# synchronous, so more than one only costs CPU: the default (100) ≈ 1 ms an article, 8
# ≈ 0.3 M instructions an article more than 1 (callgrind, 300-article crawl).
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Transient failures: Scrapy's RetryMiddleware (503, 429, 5xx, timeouts).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_AFTER_MAX = 60.0  # longest Retry-After we wait for, in seconds
DOWNLOADER_MIDDLEWARES = {
    # First of all (before robots.txt is fetched for a new host): nothing leaves the base host.
    "qa_scraper.middlewares.SameHostGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "qa_scraper.middlewares.RetryAfterMiddleware": 550,
    # Before RedirectMiddleware (600) sees the 3xx: refuse off-host redirects and loops.
    "qa_scraper.middlewares.RedirectGuardMiddleware": 650,
    # After HttpCompressionMiddleware (590) decoded the body, before retries (550): every
    # article answer (200, 304) into the run's WARC (QA_ARCHIVE; qa_scraper/delivery/archive.py).
    "qa_scraper.middlewares.ArchiveMiddleware": 580,
}
DOWNLOAD_TIMEOUT = 30
# Bounds on what one response may cost.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
SITEMAP_MAX_SIZE = 16 * 1024 * 1024  # a sitemap (or its gunzipped body) larger than this is skipped

HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19+: no control port on a scheduled job
# Those two are off, so not even loaded: Scrapy imports every component its *_BASE lists, and
# their modules import tldextract and aiohttp (~0.2 s of every crawl's start). Scrapy's own
# defaults otherwise. Set to True, each is listed again, in Scrapy's order, when the crawl
# starts (qa_scraper.arguments.list_components_turned_on).
left_out_while_off = {  # (lower case: not a setting) flag -> (component setting, path)
    "COOKIES_ENABLED": (
        "DOWNLOADER_MIDDLEWARES",
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
    ),
    "REMOTE_CONTROL_ENABLED": ("EXTENSIONS", "scrapy.extensions.remote_control.RemoteControl"),
}
_left_out = {path for _, path in left_out_while_off.values()}
DOWNLOADER_MIDDLEWARES_BASE = {
    path: order
    for path, order in _scrapy_defaults.DOWNLOADER_MIDDLEWARES_BASE.items()
    if path not in _left_out
}
EXTENSIONS_BASE = {
    path: order for path, order in _scrapy_defaults.EXTENSIONS_BASE.items() if path not in _left_out
}

# The run (lock, crawl state, output files, manifest); off when QA_OUTPUT_DIR and
# QA_STATE_PATH are both empty.
# Before it (a lower order connects its spider_closed first): Spidermon's field coverage
# counters and the run's monitors, whose results the manifest
# takes (qa_scraper/extensions/monitoring.py). Spidermon's extension is FieldCoverageSpidermon:
# the same, its coverage counted ~10x cheaper (qa_scraper/extensions/coverage.py).
EXTENSIONS = {
    "qa_scraper.extensions.gc_tuning.GcTuningExtension": 70,
    "qa_scraper.extensions.coverage.FieldCoverageSpidermon": 80,
    "qa_scraper.extensions.monitoring.RunMonitorExtension": 90,
    "qa_scraper.extensions.progress.ProgressExtension": 95,
    "qa_scraper.extensions.crawl_run.CrawlRunExtension": 100,
}

ITEM_PIPELINES = {
    "qa_scraper.pipelines.ValidationPipeline": 300,
    "qa_scraper.pipelines.DeduplicationPipeline": 400,
    "qa_scraper.pipelines.ChangeDetectionPipeline": 500,
    "qa_scraper.pipelines.RunOutputPipeline": 900,
}

# Default run output: output/doctorqna/<UTC run timestamp>.jsonl and .rejects.ndjson.
# Set QA_OUTPUT_DIR to "" to write nothing but Scrapy's own feeds (-o / -O).
QA_OUTPUT_DIR = "output"
QA_SCHEMA_PATH = ""  # empty: the published schema (schemas/, installed as qa_scraper.schemas)
# Crawl state (SQLite) shared by every run; empty: <QA_OUTPUT_DIR>/<spider>/state.sqlite3.
QA_STATE_PATH = ""
# An article skipped because its sitemap <lastmod> did not move is still re-checked
# (conditionally) when it was last confirmed live more than this many days ago.
QA_REVALIDATE_AFTER_DAYS = 30
# Article URLs from the sitemaps are handed to the scheduler while it holds fewer than this
# many requests (the rest wait as compact (url, lastmod) pairs: memory stays flat).
QA_SCHEDULER_BATCH = 100
# The run's staged state rows and its items' and rejects' lines are written in groups, at most
# this many seconds apart (one SQLite transaction and one flush a group, not an article);
# a kill -9 loses at most this much of the crawl, fetched again by the resumed run. 0: each
# article's at once.
QA_SYNC_SECONDS = 1.0
# Python's garbage collector during a crawl (qa_scraper/extensions/gc_tuning.py): what start-up
# imported is frozen, and a collection runs every QA_GC_THRESHOLD new objects (Python: 700).
QA_GC_TUNING = True
QA_GC_THRESHOLD = 20_000
# Keep every article answer with its request in <run>.warc.gz (WARC/1.1, one gzip member a
# record): re-extraction and fixtures without a request (python -m qa_scraper reextract).
QA_ARCHIVE = True

# Field coverage (Spidermon): null, "", [] and {} are "not filled"; 0 is filled; a list of
# dicts (replies, similar_questions, related_faqs) is read one level deep (replies.clinic =
# the share of replies with a clinic).
SPIDERMON_ENABLED = True
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True
SPIDERMON_FIELD_COVERAGE_SKIP_FALSY = False
SPIDERMON_LIST_FIELDS_COVERAGE_LEVELS = 1

# Monitors, checked at close (qa_scraper/extensions/monitoring.py); a failure is exit code 7
# (the run is still delivered) and the alerts below. Spidermon's own monitors and settings:
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MIN_ITEMS = 1  # articles seen live (written + unchanged)
# Minimum fill rates (Spidermon's rule keys: <item type>/<field>, list entries under _items):
# the saved site's rates (tests/fixtures/pages/*/expected.json) less a margin.
SPIDERMON_FIELD_COVERAGE_RULES = {
    "dict/title": 0.95,
    "dict/department": 0.95,
    "dict/question/title": 0.95,
    "dict/question/text": 0.95,
    "dict/question/asked_on": 0.95,
    "dict/asker/name": 0.7,  # saved site: 0.84
    "dict/asker/age_min": 0.85,  # 1.00
    "dict/asker/age_max": 0.8,  # 0.92
    "dict/asker/gender": 0.75,  # 0.88
    "dict/replies": 0.75,  # 0.88 of the items have a reply
    "dict/replies/_items/responder_name": 0.95,
    "dict/replies/_items/text": 0.95,
    "dict/replies/_items/replied_on": 0.95,
    "dict/replies/_items/clinic": 0.4,  # 0.54 of the replies name a clinic
    "dict/more_info": 0.75,  # 0.88
    "dict/similar_questions": 0.9,
    "dict/similar_questions/_items/answer_excerpt": 0.75,  # 0.89
    "dict/related_faqs": 0.9,
}
QA_FIELD_COVERAGE_MAX_DROP = 15  # percentage points a fill rate may fall since the last run
QA_MONITOR_COVERAGE_MIN_ITEMS = 20  # fewer items written: no fill-rate or drift verdict
QA_MONITOR_MAX_REJECT_SHARE = 0.5  # rejected / (articles + rejected)
# Alerts when a monitor fails (qa_scraper/extensions/alerts.py): each is on when its settings
# are given.
SPIDERMON_SMTP_HOST = ""  # with SPIDERMON_EMAIL_TO: an e-mail (SPIDERMON_SMTP_PORT, _USER, ...)
SPIDERMON_EMAIL_TO = []
SPIDERMON_SLACK_SENDER_TOKEN = ""  # Slack (with SPIDERMON_SLACK_RECIPIENTS); extra [alerts]
SPIDERMON_SENTRY_DSN = ""  # Sentry (with SPIDERMON_SENTRY_PROJECT_NAME); extra [alerts]
# Set by `scrapy parse` (qa_scraper/commands/parse.py): one page, no run, no crawl around it.
QA_SINGLE_PAGE = False
QA_PROGRESS_INTERVAL = 60  # seconds between progress log lines; 0: none

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# Scrapy's own messages, but "Crawled (200) …" and "Scraped from …" are not built at all unless
# LOG_LEVEL shows DEBUG (qa_scraper/logformatter.py).
LOG_FORMATTER = "qa_scraper.logformatter.QuietLogFormatter"
# Scrapy reads each callback's source on (almost) every response to warn about a generator
# that returns a value (its cache is keyed on bound methods, which every request makes anew):
# the project's callbacks are checked once, by tests/test_per_response_work.py, instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Distributed crawl (qa_scraper/distributed/): empty for a single process.
# Rendering article pages in Chromium (-a render=auto|never|always; qa_scraper/render.py).
QA_BROWSER_PATH = ""  # empty: the first chromium on PATH
QA_RENDER_TIMEOUT = 15.0  # seconds for a page's load, then again at most for its network to idle
QA_RENDER_PAGES = 2  # pages open at once in the one browser of the process

QA_REDIS_URL = ""
# Requests per second for the whole site, shared by every worker; 0: 1 / DOWNLOAD_DELAY.
QA_REDIS_RATE = 0
