# Packages every part of the suite needs (git is used through its CLI).
# shellcheck source=scripts/apt_retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_retry.sh"
command -v git >/dev/null || apt_get install -y -qq git
command -v git >/dev/null || { echo "ci_deps: not installed: git" >&2; exit 1; }
