#!/usr/bin/env bash
# Debian packages SchoolConduct needs beyond Python, installed only if missing:
#   pdf      Pango and HarfBuzz's subsetter for WeasyPrint (letters, the register PDF), and
#            Tesseract with its English data for reading the text in evidence screenshots
#            (make run, make test and CI all install this group)
#   browser  Chromium for the browser tests, poppler-utils for looking at PDFs
# As root it installs them with apt-get; otherwise it says what to install and carries on.
set -euo pipefail

need=()
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
      ;;
    *) echo "system-deps: unknown group '$group'" >&2; exit 2 ;;
  esac
done

[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
  echo "SchoolConduct needs these system packages: ${need[*]}" >&2
  echo "Install them (e.g. sudo apt-get install ${need[*]}) and run again." >&2
  exit 0
fi
echo "Installing system packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
