#!/usr/bin/env bash
# Assets the book needs to build and to be read offline. Idempotent and quick when all is present;
# called by scripts/setup.sh.
#   1. MathJax 3 from the npm registry into _vendor/mathjax/ (outside _static/, because Jupyter Book
#      injects every .js file found in a static folder into every page). _config.yml points Sphinx's
#      mathjax_path at it, so formulas are typeset without a CDN.
#   2. Debian's chromium (headless browser for tests/test_book_reproduce.py) when absent and this
#      runs as root with apt-get; otherwise a warning, and the browser test skips.
# Environment: SDR_SKIP_CHROMIUM=1 skips step 2.
set -euo pipefail
cd "$(dirname "$0")/.."

MATHJAX_VERSION="3.2.2"
# sha256 of mathjax-3.2.2.tgz as served by registry.npmjs.org (npm also checks its own sha512).
MATHJAX_SHA256="1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
DEST="_vendor/mathjax"
STAMP="$DEST/.version"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$MATHJAX_VERSION" ] && [ -f "$DEST/tex-svg.js" ]; then
  echo "[book-assets] MathJax $MATHJAX_VERSION present in $DEST"
else
  echo "[book-assets] fetching MathJax $MATHJAX_VERSION from the npm registry"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tarball="$work/mathjax-$MATHJAX_VERSION.tgz"
  if command -v npm >/dev/null 2>&1; then
    (cd "$work" && npm pack --silent "mathjax@$MATHJAX_VERSION" >/dev/null)
  elif command -v curl >/dev/null 2>&1; then
    # Without npm, the same tarball straight from the registry (checked against the hash below).
    curl -fsSL -o "$tarball" "https://registry.npmjs.org/mathjax/-/mathjax-$MATHJAX_VERSION.tgz"
  else
    echo "[book-assets] error: npm or curl is needed once to fetch MathJax $MATHJAX_VERSION" >&2
    exit 1
  fi
  echo "$MATHJAX_SHA256  $tarball" | sha256sum --check --quiet -
  tar -xzf "$tarball" -C "$work"
  # Keep the SVG bundle (its glyphs are inside the script, so no web fonts are needed, which also
  # works from file:// pages) and the components it loads on demand; drop the other bundles.
  rm -rf "$DEST" "$DEST.tmp"
  mkdir -p "$DEST.tmp"
  cp "$work/package/es5/tex-svg.js" "$work/package/LICENSE" "$DEST.tmp/"
  for part in input output a11y ui adaptors sre; do
    cp -r "$work/package/es5/$part" "$DEST.tmp/"
  done
  rm -rf "$DEST.tmp/output/chtml" "$DEST.tmp/output/chtml.js"
  echo "$MATHJAX_VERSION" > "$DEST.tmp/.version"
  mv "$DEST.tmp" "$DEST"
  echo "[book-assets] MathJax $MATHJAX_VERSION installed in $DEST ($(du -sh "$DEST" | cut -f1))"
fi

if [ "${SDR_SKIP_CHROMIUM:-0}" = "1" ]; then
  echo "[book-assets] SDR_SKIP_CHROMIUM=1: not checking for chromium"
elif command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "[book-assets] chromium present"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[book-assets] installing Debian's chromium (headless browser for the book test)"
  export DEBIAN_FRONTEND=noninteractive
  install=(apt-get install -y -qq --no-install-recommends chromium)
  if "${install[@]}" >/dev/null 2>&1 || { apt-get update -qq && "${install[@]}" >/dev/null; }; then
    echo "[book-assets] $(chromium --version 2>/dev/null) installed"
  else
    echo "[book-assets] warning: could not install chromium; the headless-browser book test will be skipped" >&2
  fi
else
  echo "[book-assets] warning: chromium is absent and cannot be installed here (needs root and apt-get);" \
    "the headless-browser book test will be skipped" >&2
fi
