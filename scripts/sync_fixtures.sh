#!/usr/bin/env bash
# Keeps tests/fixtures/dvc3 (the vendored DVC 3.64 fixtures the compat tests
# read) in step with the shared set they were copied from. Syncing is a
# deliberate act: `check` only reports, `apply` copies, then review `git diff`
# and rerun the compat tests before committing.
#   scripts/sync_fixtures.sh check [SOURCE]   # exit 1 when they differ
#   scripts/sync_fixtures.sh apply [SOURCE]   # make the vendored copy equal to SOURCE
# SOURCE defaults to ../shared/fixtures/dvc3-current (next to this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
src=${2:-../shared/fixtures/dvc3-current}
dst=tests/fixtures/dvc3
[ -d "$src" ] || { echo "no fixture source at $src" >&2; exit 2; }
case "$mode" in
  check)
    if diff -rq "$src" "$dst"; then echo "tests/fixtures/dvc3 matches $src"; else exit 1; fi ;;
  apply)
    tmp=$(mktemp -d "${dst}.sync.XXXXXX")
    cp -a "$src/." "$tmp/"
    rm -rf "$dst" && mv "$tmp" "$dst"
    git status --short -- "$dst" | head -50
    echo "copied $src -> $dst; review with: git diff --stat -- $dst" ;;
  *) echo "usage: $0 check|apply [SOURCE]" >&2; exit 254 ;;
esac
