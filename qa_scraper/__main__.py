"""``python -m qa_scraper …``: the tools for downstream teams (:mod:`qa_scraper.cli`)."""

from qa_scraper.cli import main

raise SystemExit(main())
