"""Scrapy extensions: the crawl run, its monitors and alerts, progress."""
