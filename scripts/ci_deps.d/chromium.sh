# Headless Chromium for the plots page tests (driven by npm playwright-core; no browser download).
# shellcheck source=scripts/apt_retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_retry.sh"
if ! command -v chromium >/dev/null; then
  apt_get update -qq || echo "ci_deps: apt-get update failed; installing from the package lists there are" >&2
  apt_get install -y -qq chromium
fi
command -v chromium >/dev/null || { echo "ci_deps: not installed: chromium (plots page tests need it)" >&2; exit 1; }
