#!/usr/bin/env bash
# Installs what the pipeline needs beyond Python, on Debian/Ubuntu with apt-get (as root or
# through sudo). Safe to run again: it installs only what is missing.
#   - OSMesa, for MuJoCo's offscreen rendering (videos) on a Linux machine without a display;
#   - Node.js and npm, which fetch the pinned MuJoCo WebAssembly build and three.js for the
#     browser viewer (stage `web`);
#   - Chromium, which takes the viewer's screenshot (stage `report`) and runs its browser tests.
# macOS renders through CGL; there, install Node.js and Chrome yourself (e.g. with Homebrew) and
# point WALKER_CHROMIUM at the Chrome binary.
set -euo pipefail

if [[ "$(uname -s)" != "Linux" ]]; then
  echo "system-packages: $(uname -s): nothing installed; the viewer needs Node.js (npm) and Chrome or Chromium"
  exit 0
fi
missing=()
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)  # /sbin may not be on a user's PATH
"$ldconfig" -p 2>/dev/null | grep -q 'libOSMesa\.so' || missing+=(libosmesa6)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [[ -n "${WALKER_CHROMIUM:-}" ]] || missing+=(chromium)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "system-packages: OSMesa, npm and Chromium found"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "system-packages: missing ${missing[*]} and there is no apt-get here;" >&2
  echo "  install your distribution's packages for them (OSMesa: Fedora mesa-libOSMesa, Arch mesa) and run this again" >&2
  exit 1
fi
sudo=""
if [[ "$(id -u)" != "0" ]]; then sudo="sudo"; fi
echo "system-packages: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
echo "system-packages: installed ${missing[*]}"
