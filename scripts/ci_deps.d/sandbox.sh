# lib/sandbox tests need real kernel facilities: bubblewrap (the sandbox),
# strace (exact violation reports, explain-inputs) and curl (HTTP client used
# inside the sandbox by the network tests).
# shellcheck source=scripts/apt_retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_retry.sh"
pkgs=(bubblewrap strace curl)
mapfile -t need < <(missing_packages "${pkgs[@]}")
((${#need[@]})) && apt_get install -y -qq --no-install-recommends "${need[@]}"
mapfile -t still < <(missing_packages "${pkgs[@]}")
if ((${#still[@]})); then
  echo "ci_deps: not installed: ${still[*]} (sandbox tests need them)" >&2
  exit 1
fi
exit 0
