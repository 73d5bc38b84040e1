#!/usr/bin/env bash
# Installs (Debian apt) what the remote-plugin tests need: real servers started on
# 127.0.0.1 by scripts/test_services.sh. Idempotent; quiet unless something fails.
#  - openssh-server: SFTP remote tests (sshd started by absolute path, scratch config)
#  - nginx-light + libnginx-mod-http-dav-ext: HTTP (read-only) and WebDAV remote tests
#  - procps: `ps --ppid`, used to stop a server with its per-connection children
#  - moto (S3) is not installed here: it ships with the machine image's python3
#    (PyPI is unreachable); test_services.sh checks `python3 -c "import moto"`.
set -uo pipefail
# shellcheck source=scripts/apt_retry.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt_retry.sh"

pkgs=(openssh-server openssh-client nginx-light libnginx-mod-http-dav-ext procps)
mapfile -t need < <(missing_packages "${pkgs[@]}")
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  apt_get update -qq || echo "ci_deps: apt-get update failed; installing from the package lists there are" >&2
  # policy-rc.d keeps the packages' own service start-up (port 22 / 80) from running.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt_get install -y -qq --no-install-recommends "${need[@]}"
fi

status=0
mapfile -t still < <(missing_packages "${pkgs[@]}")
if ((${#still[@]})); then
  echo "ci_deps: not installed: ${still[*]} (SSH/WebDAV remote tests need them)" >&2
  status=1
fi
if ! python3 -c "import moto.server" 2>/dev/null; then
  echo "ci_deps: python3 module 'moto' is missing; S3 remote tests will be skipped" >&2
fi
exit "$status"
