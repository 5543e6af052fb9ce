#!/bin/bash
# Runs a bare-metal test image under its emulator and checks the result.
#
#   tests/baremetal/run.sh ARCH          ARCH: aarch64, riscv64 (x86_64 later)
#
# Environment:
#   BM_IMAGE=path        another image (default out/baremetal/ARCH/host.elf);
#                        run.sh does not build: `make baremetal-ARCH` first
#   BM_QEMU_EXTRA="..."  extra emulator arguments, e.g. "-icount shift=0"
#   BM_TIMEOUT=s         default 120
#
# Shows the image's output, then one line "ARCH bare-metal: N passed, M failed"
# and exits 0 only if the image printed its summary "N passed, 0 failed" and
# the emulator exited with status 0 (the image's exit status, through
# semihosting). No summary line means a hang, a crash or an abort: exit 1.
set -u
cd "$(dirname "$0")/../.." || exit 2

arch=${1:-}
timeout_s=${BM_TIMEOUT:-120}
image=${BM_IMAGE:-out/baremetal/$arch/host.elf}

# shellcheck disable=SC2054 # the commas are inside QEMU arguments
case $arch in
aarch64)
    # -nic none: the default NIC wants efi-virtio.rom, which Debian ships
    # only in ipxe-qemu.
    emu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 -cpu cortex-a72 -m 256M -nographic
         -semihosting -nic none -kernel "$image")
    ;;
riscv64)
    # OpenSBI fw_dynamic starts the image in HS-mode at its entry; its SRST
    # shutdown makes QEMU exit 0 whatever the reason, so the status comes
    # through semihosting (QEMU 7.2 answers it from S-mode too).
    emu=(qemu-system-riscv64 -M virt -cpu rv64,h=true -m 256M -nographic -semihosting
         -nic none -bios /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin -kernel "$image")
    ;;
*)
    echo "usage: $0 aarch64|riscv64" >&2
    exit 2
    ;;
esac

if [ ! -f "$image" ]; then
    echo "$arch bare-metal: FAIL: no image $image (make baremetal-$arch)"
    exit 1
fi
if ! command -v "${emu[0]}" >/dev/null 2>&1; then
    echo "$arch bare-metal: FAIL: ${emu[0]} not found (build/deps.sh installs it)"
    exit 1
fi

# shellcheck disable=SC2206 # word splitting of the extra arguments is wanted
extra=(${BM_QEMU_EXTRA:-})
log=$(mktemp "${TMPDIR:-/tmp}/axv-bm-$arch.XXXXXX") || exit 2
trap 'rm -f "$log"' EXIT

echo "+ ${emu[*]} ${extra[*]}"
timeout -k 10 "$timeout_s" "${emu[@]}" "${extra[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$log"
status=${PIPESTATUS[0]}

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
if [ -z "$summary" ]; then
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        why="timed out after ${timeout_s}s (a hang?)"
    else
        why="emulator exit status $status"
    fi
    last=$(grep -E '^(ok|FAIL) ' "$log" | tail -n 1)
    echo "$arch bare-metal: FAIL: no summary line: $why${last:+; last result: $last}"
    exit 1
fi
failed=${summary#*passed, }
failed=${failed% failed}
if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then
    echo "$arch bare-metal: $summary (emulator exit status $status)"
    grep -E '^FAIL ' "$log"
    exit 1
fi
echo "$arch bare-metal: $summary"
