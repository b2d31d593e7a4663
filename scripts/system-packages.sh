#!/usr/bin/env bash
# Installs the one system library the pipeline needs beyond Python: OSMesa, for MuJoCo's
# offscreen rendering (videos) on a Linux machine without a display. Safe to run again.
# macOS renders through CGL and needs nothing. On a GPU machine, MUJOCO_GL=egl works too.
set -euo pipefail

if [[ "$(uname -s)" != "Linux" ]]; then
  echo "system-packages: $(uname -s) needs no extra packages"
  exit 0
fi
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)  # /sbin may not be on a user's PATH
if "$ldconfig" -p 2>/dev/null | grep -q 'libOSMesa\.so'; then
  echo "system-packages: OSMesa found"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "system-packages: OSMesa (libOSMesa.so) is missing and there is no apt-get here;" >&2
  echo "  install your distribution's OSMesa package (Fedora: mesa-libOSMesa, Arch: mesa) and run this again" >&2
  exit 1
fi
sudo=""
if [[ "$(id -u)" != "0" ]]; then sudo="sudo"; fi
echo "system-packages: installing libosmesa6 (OSMesa) with apt-get"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q --no-install-recommends libosmesa6 >/dev/null \
  || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends libosmesa6 >/dev/null; }
echo "system-packages: OSMesa installed"
