#!/usr/bin/env bash
# Make sure the browser tests have a Chromium: Debian's `chromium` package (Playwright drives it; we never
# download a browser build). Installs it when missing and we are root; otherwise says what to do.
# The browser tests themselves fail (not skip) with the same advice when no Chromium is found.
set -euo pipefail

found() {
  for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium "$(command -v chromium || true)" "$(command -v chromium-browser || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

if path=$(found); then
  echo "chromium: $path"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "chromium: not found, installing Debian's chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  path=$(found) && { echo "chromium: $path"; exit 0; }
fi

echo "chromium: not found and cannot be installed here (needs root and apt-get)." >&2
echo "  Install it: sudo apt-get install chromium   (or set CHROMIUM_PATH). The browser tests will fail until then." >&2
exit 0
