#!/usr/bin/env bash
# Idempotent setup: Debian packages the server and its tests need, npm dependencies, build.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  libpocketsphinx3      # speech recognition engine (loaded in process through koffi)
  pocketsphinx-en-us    # its US English acoustic model, dictionary and language model
  pocketsphinx-testdata # read speech with transcripts, used by the speech tests
  flac                  # test fixtures: FLAC made from the test speech
  lame                  # test fixtures: MP3 made independently of our encoder
  sox                   # test fixtures: resampling and channel mixing
  chromium              # the web page's browser tests (driven by playwright-core)
  fonts-dejavu-core     # text in the browser tests' screenshots
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages (run as root or install them): ${missing[*]}" >&2
    exit 1
  fi
fi

# onnxruntime-node's install script would download binaries; its CPU binaries ship inside the package.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
echo "setup: done. Start the server with: npm start (it prints the address to open)"
