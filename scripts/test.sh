#!/usr/bin/env bash
# The whole test suite (`deno task test`): installs the system packages the
# tests need (apt, when root), starts the real services on 127.0.0.1, runs
# every test, stops the services. Extra args go to `deno test` (e.g. a path).
set -uo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  stamp=".tools/apt-done"
  if [ ! -f "$stamp" ] || [ -n "$(find scripts/ci_deps.sh scripts/ci_deps.d -newer "$stamp" 2>/dev/null)" ]; then
    echo "== system packages (apt)" >&2
    apt-get update -qq >/dev/null 2>&1 || echo "apt-get update failed (continuing)" >&2
    for f in scripts/ci_deps.sh scripts/ci_deps.d/*.sh; do
      [ -f "$f" ] || continue
      bash "$f" >&2 || echo "WARNING: $f failed" >&2
    done
    mkdir -p .tools && touch "$stamp"
  fi
fi

if [ -f scripts/test_services.sh ]; then
  echo "== starting test services on 127.0.0.1" >&2
  bash scripts/test_services.sh start >&2 || { echo "could not start test services" >&2; exit 1; }
  trap 'bash scripts/test_services.sh stop >/dev/null 2>&1' EXIT
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(tests/)
deno test -A --parallel --no-check "${targets[@]}"
