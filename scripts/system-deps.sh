#!/usr/bin/env bash
# System packages some tests need: redis-server (distributed crawls against a real Redis),
# systemd (systemd-analyze verifies deploy/'s units) and chromium (the report rendered in a
# headless browser, the reader's oracle, the render fallback). Installed with apt-get when
# missing and this user may (root on Debian/Ubuntu); otherwise those tests are skipped
# locally (never in CI, where CI=true makes a missing one a failure).
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)  # tests/test_deploy.py
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || missing+=(chromium chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get (a few minutes on a fresh machine) ..." >&2
    apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null
else
    echo "note: ${missing[*]} not installed (needs root + apt-get): their tests will be skipped" >&2
fi
