"""The distributed layer's timings (like scrapy-redis's ``defaults``)."""

LEASE_MS = 5_000  # a coordinator's lease: a second coordinator is refused while it lives
HEARTBEAT_MS = 5_000  # a worker not heard of for this long is gone: its articles go back
TICK_SECONDS = 0.2  # how often each process reads and writes its run's keys
REDIS_LOST_SECONDS = 10  # Redis unreachable for this long: the process stops (exit code 6)
