#!/usr/bin/env bash
# Debian packages SchoolConduct needs beyond Python, installed only if missing:
#   pdf      Pango and HarfBuzz's subsetter for WeasyPrint (letters, the register PDF), and
#            Tesseract with its English data for reading the text in evidence screenshots
#            (make run, make test and CI all install this group)
#   browser  Chromium for the browser tests, poppler-utils for looking at PDFs, nginx for the
#            from-outside test of deploy/nginx.conf in front of a production server
#   bench    wrk, the HTTP load generator `make bench` drives gunicorn with
#   oidc     Node.js and npm, then the OpenID Connect provider the school sign-in tests run
#            (tests/oidc_provider, node-oidc-provider pinned in its package-lock.json)
# As root it installs them with apt-get; otherwise it says what to install and carries on.
set -euo pipefail

need=()
oidc=0
here="$(cd "$(dirname "$0")" && pwd)"

# The test OpenID Connect provider: npm packages, installed once into tests/oidc_provider.
install_oidc_provider() {
  [ "$oidc" = 1 ] || return 0
  [ -d "$here/../tests/oidc_provider/node_modules/oidc-provider" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "system-deps: npm missing, school sign-in tests will skip" >&2; return 0; }
  npm ci --prefix "$here/../tests/oidc_provider" --no-audit --no-fund --loglevel=error
}
for group in "$@"; do
  case "$group" in
    pdf)
      dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0)
      dpkg -s libpangoft2-1.0-0 >/dev/null 2>&1 || need+=(libpangoft2-1.0-0)
      dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || need+=(libharfbuzz-subset0)
      dpkg -s tesseract-ocr >/dev/null 2>&1 || need+=(tesseract-ocr)
      dpkg -s tesseract-ocr-eng >/dev/null 2>&1 || need+=(tesseract-ocr-eng)
      ;;
    browser)
      [ -x /usr/bin/chromium ] || need+=(chromium)
      command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
      [ -x /usr/sbin/nginx ] || need+=(nginx)
      command -v openssl >/dev/null 2>&1 || need+=(openssl)
      ;;
    bench)
      command -v wrk >/dev/null 2>&1 || need+=(wrk)
      ;;
    oidc)
      command -v node >/dev/null 2>&1 || need+=(nodejs)
      command -v npm >/dev/null 2>&1 || need+=(npm)
      oidc=1
      ;;
    *) echo "system-deps: unknown group '$group'" >&2; exit 2 ;;
  esac
done

if [ ${#need[@]} -eq 0 ]; then
  install_oidc_provider
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
  echo "SchoolConduct needs these system packages: ${need[*]}" >&2
  echo "Install them (e.g. sudo apt-get install ${need[*]}) and run again." >&2
  install_oidc_provider
  exit 0
fi
echo "Installing system packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
install_oidc_provider
