# lib/sandbox tests need real kernel facilities: bubblewrap (the sandbox),
# strace (exact violation reports, explain-inputs) and curl (HTTP client used
# inside the sandbox by the network tests).
need=()
for p in bubblewrap strace curl; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
