"""The Redis keys of a distributed crawl, every one scoped by spider and run."""

from __future__ import annotations


class RunKeys:
    """The Redis keys of one run of one spider."""

    def __init__(self, spider_name: str, run_id: str) -> None:
        self.run_id = run_id
        base = f"qa:{spider_name}:{run_id}"
        self.queue = f"{base}:queue"  # scrapy-redis FIFO queue of article requests
        self.seeded = f"{base}:seeded"  # hash article id -> url: every article handed out
        self.completed = f"{base}:completed"  # set: article ids with an outcome written
        self.results = f"{base}:results"  # list of JSON messages from the workers
        self.inflight = f"{base}:inflight"  # hash article id -> worker id
        self.workers = f"{base}:workers"  # hash worker id -> JSON stats snapshot
        self.done = f"{base}:done"  # set once the run is over: workers stop
        self.rate = f"{base}:rate"  # the next free request slot (microseconds)
        self.base_url = f"{base}:base_url"  # the site this run crawls: workers must match
        # Set by the coordinator for the run's life: gone means Redis lost the run's keys
        # (restarted empty, flushed), queue and outcomes included.
        self.marker = f"{base}:marker"

    @staticmethod
    def current(spider_name: str) -> str:
        return f"qa:{spider_name}:current"  # the coordinator's run id (the lease)

    @staticmethod
    def heartbeat(spider_name: str, worker: str) -> str:
        return f"qa:{spider_name}:heartbeat:{worker}"
