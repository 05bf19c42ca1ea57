#!/bin/sh
# Rewrite tests/replay/expected/*.alerts from the current sensor and rules.
# Review every change (git diff tests/replay/expected) before committing it:
# the expected files are the record of what was checked by hand.
set -eu
cd "$(dirname "$0")/.."
make
ZW_REGEN=1 BUILD=${BUILD:-build} tests/replay/alerts.sh
git --no-pager diff --stat -- tests/replay/expected || true
