# Headless Chromium for the plots page tests (driven by npm playwright-core; no browser download).
if ! command -v chromium >/dev/null; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
