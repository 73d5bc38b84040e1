# Jupyter for `cairn nb run` on Python notebooks (tests/e2e/notebook_test.ts runs one for real).
# Several ci_deps scripts may run apt at once: retry while another holds the dpkg lock.
if ! command -v jupyter-nbconvert >/dev/null || ! /usr/bin/python3 -c "import ipykernel" 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if $SUDO apt-get update -qq >/dev/null 2>&1 &&
      $SUDO apt-get install -y -qq --no-install-recommends jupyter-nbconvert python3-ipykernel \
        >/dev/null 2>&1; then
      break
    fi
    [ "$attempt" = 10 ] && { echo "ci_deps: could not install jupyter-nbconvert" >&2; break; }
    sleep 6
  done
fi
