#!/usr/bin/env bash
# Set-up command 2: install (Python packages, and redis-server + chromium when possible),
# lint (ruff), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/install.sh
.venv/bin/ruff check qa_scraper tests benchmarks
.venv/bin/ruff format --check qa_scraper tests benchmarks
exec .venv/bin/python -m pytest "$@"
