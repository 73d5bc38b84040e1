# Slurm for tests/e2e/slurm_test.ts: Debian's slurm-wlm (slurmctld, slurmd, the
# s* clients) and munge (authentication between them). The packages' own service
# start-up is kept off (policy-rc.d): scripts/slurm_services.sh starts munged,
# slurmctld and slurmd on 127.0.0.1 with a generated config in a scratch dir.
# shellcheck source=scripts/apt_retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_retry.sh"
pkgs=(slurm-wlm munge)
mapfile -t need < <(missing_packages "${pkgs[@]}")
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt_get install -y -qq --no-install-recommends "${need[@]}"
fi
mapfile -t still < <(missing_packages "${pkgs[@]}")
if ((${#still[@]})); then
  echo "ci_deps: not installed: ${still[*]} (Slurm runner tests need them)" >&2
  exit 1
fi
exit 0
