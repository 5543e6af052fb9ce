#!/bin/sh
# Installs the Debian packages the build and tests need, only those missing.
# Idempotent and silent when everything is present.
set -eu

PKGS="python3-jinja2 python3-yaml check pkg-config make gcc libc6-dev
      gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu graphviz binutils
      qemu-system-arm qemu-system-misc opensbi
      bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "deps: error: need root to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
