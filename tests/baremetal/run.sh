#!/bin/bash
# Runs a bare-metal test image under its emulator and checks the result.
#
#   tests/baremetal/run.sh ARCH          ARCH: aarch64, riscv64, x86_64
#
# Environment:
#   BM_IMAGE=path        another image (default out/baremetal/ARCH/host.elf;
#                        x86_64 boots the .iso next to it, or BM_IMAGE=x.iso);
#                        run.sh does not build: `make baremetal-ARCH` first
#   BM_QEMU_EXTRA="..."  extra emulator arguments, e.g. "-icount shift=0"
#                        (x86_64: bochsrc lines for Bochs' command line)
#   BM_TIMEOUT=s         default 120 (x86_64: 300)
#
# Shows the image's output, then one line "ARCH bare-metal: N passed, M failed"
# and exits 0 only if the image printed its summary "N passed, 0 failed" and
# the emulator exited with status 0 (the image's exit status, through
# semihosting; under Bochs 0 only for a 'D' on port 0x8900, which the image
# writes for status 0). No summary line means a hang, a crash or an abort:
# exit 1.
#
# x86_64 runs Bochs (build/bochsrc-x86_64.txt) with the debugger's command
# file "c", "quit": the image's console is COM1 in a file, shown after the
# run; Bochs' own log is shown (its end) when the run fails.
set -u
cd "$(dirname "$0")/../.." || exit 2

arch=${1:-}
default_timeout=120
[ "$arch" = x86_64 ] && default_timeout=300
timeout_s=${BM_TIMEOUT:-$default_timeout}
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
x86_64)
    # GRUB 2 boots the ELF from an ISO (build/baremetal-x86_64.mk makes both).
    case $image in
    *.elf) image=${image%.elf}.iso ;;
    esac
    emu=(bochs -q -f build/bochsrc-x86_64.txt)
    ;;
*)
    echo "usage: $0 aarch64|riscv64|x86_64" >&2
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

if [ "$arch" = x86_64 ]; then
    # Bochs: the console is COM1 in a file, Bochs' own output and log go aside.
    work=$(mktemp -d "${TMPDIR:-/tmp}/axv-bm-bochs.XXXXXX") || exit 2
    trap 'rm -f "$log"; rm -rf "$work"' EXIT
    printf 'c\nquit\n' >"$work/rc"
    export BM_ISO=$image BM_SERIAL=$work/com1.txt BM_LOG=$work/bochs.log
    : >"$BM_SERIAL"
    echo "+ BM_ISO=$image ${emu[*]} -rc $work/rc ${extra[*]}"
    start=$(date +%s.%N)
    timeout -k 10 "$timeout_s" "${emu[@]}" -rc "$work/rc" "${extra[@]}" </dev/null >"$work/bochs.out" 2>&1
    status=$?
    tr -d '\r' <"$BM_SERIAL" | tee "$log"
    echo "(Bochs: exit status $status, $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s)"
    if [ "$status" -ne 0 ] || ! grep -qE '^[0-9]+ passed, 0 failed$' "$log"; then
        echo "--- end of Bochs' output and log:"
        tail -n 8 "$work/bochs.out"
        grep -vE '^[0-9]+i\[|VMEXIT: EPT violation' "$work/bochs.log" 2>/dev/null | tail -n 12
        echo "---"
    fi
else
    echo "+ ${emu[*]} ${extra[*]}"
    timeout -k 10 "$timeout_s" "${emu[@]}" "${extra[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$log"
    status=${PIPESTATUS[0]}
fi

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
