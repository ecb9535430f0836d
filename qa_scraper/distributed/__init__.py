"""Distributed crawl over Redis: coordinator, workers, shared scheduler and rate."""
