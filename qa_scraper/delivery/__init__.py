"""Run delivery: run files, manifest, crawl state, WARC archive, rejects, validation."""
