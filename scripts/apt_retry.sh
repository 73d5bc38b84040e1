# Sourced by scripts/test.sh and scripts/ci_deps*.sh: apt-get that waits for
# another apt/dpkg (the lock) instead of failing, and a check of what is still
# missing, so a run that could not install something says what, and the next
# run tries again.
#
#   apt_get ARGS...          apt-get ARGS (with sudo when not root); retries while
#                            the lock is busy (APT_LOCK_TRIES x APT_LOCK_WAIT s, default 30 x 10),
#                            prints apt's output only when it fails for another reason
#   missing_packages PKG...  prints the packages dpkg does not have installed

apt_get() {
  local sudo="" try out rc tries="${APT_LOCK_TRIES:-30}"
  [ "$(id -u)" = 0 ] || sudo="sudo"
  for ((try = 1; try <= tries; try++)); do
    # DPkg::Lock::Timeout makes apt itself wait up to 60 s for dpkg's lock;
    # the loop covers the lists lock of `update` and longer installs next door.
    out="$(DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=60 "$@" 2>&1)"
    rc=$?
    [ "$rc" = 0 ] && return 0
    if grep -qiE 'could not get lock|unable to lock|unable to acquire the dpkg frontend lock|is held by process' <<<"$out"; then
      echo "apt: another apt/dpkg holds the lock; waiting (try $try of $tries)" >&2
      sleep "${APT_LOCK_WAIT:-10}"
      continue
    fi
    printf '%s\n' "$out" >&2
    return "$rc"
  done
  echo "apt: the lock was still busy after $tries tries: apt-get $* did not run" >&2
  return 1
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
