#!/usr/bin/env bash
# Set-up command 1: install, then crawl the saved site served on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m qa_scraper.testing.demo --site tests/fixtures/site "$@"
