#!/usr/bin/env bash
# The whole test suite (`deno task test`): installs the system packages the
# tests need (apt, when root), starts the real services on 127.0.0.1, runs
# every test, stops the services. Extra args go to `deno test` (e.g. a path).
set -uo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck source=scripts/apt_retry.sh
  . scripts/apt_retry.sh
  # Marked done only when every package is there, so a run that failed (another
  # apt held the lock, no network) is retried next time instead of forgotten.
  stamp=".tools/apt-done"
  if [ ! -f "$stamp" ] || [ -n "$(find scripts/ci_deps.sh scripts/ci_deps.d scripts/apt_retry.sh -newer "$stamp" 2>/dev/null)" ]; then
    echo "== system packages (apt)" >&2
    apt_ok=1
    apt_get update -qq || { echo "apt-get update failed (installing from the package lists there are)" >&2; }
    for f in scripts/ci_deps.sh scripts/ci_deps.d/*.sh; do
      [ -f "$f" ] || continue
      bash "$f" >&2 || { echo "WARNING: $f did not install everything (see above)" >&2; apt_ok=0; }
    done
    if [ "$apt_ok" = 1 ]; then
      mkdir -p .tools && touch "$stamp"
    else
      rm -f "$stamp"
      echo "WARNING: system packages incomplete: tests that need them fail or are skipped with the reason;" \
        "the next run tries apt again" >&2
    fi
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
