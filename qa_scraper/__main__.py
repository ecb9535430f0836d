"""``python -m qa_scraper …``: the tools for downstream teams (:mod:`qa_scraper.tools.cli`)."""

from qa_scraper.tools.cli import main

raise SystemExit(main())
