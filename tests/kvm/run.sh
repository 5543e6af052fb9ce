#!/bin/bash
# The kvm suite: runs the test guests (tests/guests/kvm) under out/axv-run and
# checks exit statuses and output, then feeds axv-run bad input, which must
# end with status 2 and exactly one stderr line "axv-run: ...".
#
#   tests/kvm/run.sh              builds out/axv-run and the guests first
#   AXV_RUN=path tests/kvm/run.sh another axv-run binary (only guests built)
#   TIMEOUT=s                     per run, default 120
#
# One line per case ("ok   name" or "FAIL name (status N, expected M): why"),
# then "kvm suite: N passed, M failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 2

if [ ! -e /dev/kvm ]; then
    echo "SKIP: kvm suite: /dev/kvm not present"
    exit 0
fi

G=out/guests/kvm
targets=kvm-guests
if [ -z "${AXV_RUN:-}" ]; then
    AXV_RUN=out/axv-run
    targets="$AXV_RUN kvm-guests"
fi
# shellcheck disable=SC2086 # two targets
make --no-print-directory -s $targets || {
    echo "FAIL build: make $targets"
    echo "kvm suite: 0 passed, 1 failed"
    exit 1
}
TIMEOUT=${TIMEOUT:-120}
PY=/usr/bin/python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/axv-kvm-suite.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# run [VAR=value...] -- ARGS...: axv-run ARGS under a timeout, stdin closed,
# output in $tmp/out and $tmp/err, status in $st.
run() {
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    env "${envs[@]}" timeout -k 10 "$TIMEOUT" "$AXV_RUN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    st=$?
}

# What went wrong, for a FAIL line: the stderr (one line), or a note. An odd
# status 3..127 is a guest's failed check n (1..63) through isa-debug-exit;
# above 128, a signal.
why() {
    if [ "$st" -ge 3 ] && [ "$st" -le 127 ] && [ $((st % 2)) -eq 1 ]; then
        echo "guest check $((st >> 1)) failed$( [ -s "$tmp/err" ] && printf ': %s' "$(head -c 300 "$tmp/err" | tr '\n' ' ')")"
    elif [ "$st" -eq 124 ]; then
        echo "timed out after ${TIMEOUT}s"
    elif [ "$st" -gt 128 ]; then
        echo "killed by signal $((st - 128)): $(head -c 300 "$tmp/err" | tr '\n' ' ')"
    elif [ -s "$tmp/err" ]; then
        head -c 300 "$tmp/err" | tr '\n' ' ' | sed 's/ $//'
    else
        echo "(no stderr)"
    fi
}

# check NAME STATUS [-o OUT]... [-e ERR]... [-j FILE] -- AXV_RUN_ARGS...
# The run must exit with STATUS, its stdout contain each OUT, its stderr each
# ERR, and FILE (the --trace output) be a non-empty JSON array.
check() {
    local name=$1 want=$2 outs=() errs=() json=""
    shift 2
    while [ "$1" != "--" ]; do
        case $1 in
        -o) outs+=("$2") ;;
        -e) errs+=("$2") ;;
        -j) json=$2 ;;
        esac
        shift 2
    done
    shift
    run -- "$@"
    if [ "$st" -ne "$want" ]; then
        fail "$name (status $st, expected $want): $(why)"
        return
    fi
    local s
    for s in "${outs[@]}"; do
        if ! grep -qF -- "$s" "$tmp/out"; then
            fail "$name (status $st, expected $want): stdout lacks \"$s\""
            return
        fi
    done
    for s in "${errs[@]}"; do
        if ! grep -qF -- "$s" "$tmp/err"; then
            fail "$name (status $st, expected $want): stderr lacks \"$s\": $(why)"
            return
        fi
    done
    if [ -n "$json" ] && ! $PY -c 'import json, sys; t = json.load(open(sys.argv[1])); sys.exit(not (isinstance(t, list) and t))' "$json" 2>/dev/null; then
        fail "$name (status $st, expected $want): $json is not a non-empty JSON array"
        return
    fi
    pass "$name"
}

# bad NAME [VAR=value...] -- AXV_RUN_ARGS...: axv-run refuses to run: status
# exactly 2 (so no signal either) and one stderr line starting "axv-run: ".
bad() {
    local name=$1
    shift
    run "$@"
    if [ "$st" -ne 2 ]; then
        fail "bad: $name (status $st, expected 2): $(why)"
    elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || [ "$(head -c 9 "$tmp/err")" != "axv-run: " ]; then
        fail "bad: $name (status 2, expected 2): stderr is not one \"axv-run: \" line: $(head -c 300 "$tmp/err" | tr '\n' '|')"
    else
        pass "bad: $name"
    fi
}

# ------------------------------------------------------------------ guests
# isa-debug-exit first: every guest reports a failed check through it.
check "exitcode: debug-exit 0x2a -> 85" 85 -- $G/exitcode.bin
check "hello (demo, flat, -smp 2)" 0 -o "Hello from an axvcpu guest on KVM!" -o "rep outsb: string I/O works" \
    -o "vCPU 1 up" -o "hello: every exit kind done" -- -smp 2 $G/hello.bin
check "hello (demo, ELF64, -smp 2)" 0 -o "Hello from an axvcpu guest on KVM!" -o "vCPU 1 up" \
    -o "hello: every exit kind done" -- -smp 2 $G/hello.elf
check "mmio: widths, movzx, movsx, stores" 0 -o "mmio: all loads and stores checked" -- $G/mmio.bin
check "string_io: rep outsb/insb, insw, outsw" 0 -o "string_io: rep outsb 0123456789 ABCDEFGHIJ abcdefghij" \
    -o "string_io: checked" -- $G/string_io.bin
check "msr: range rdmsr/wrmsr" 0 -o "msr: checked" -- $G/msr.bin
check "msr_gp: MSRs outside the range raise #GP" 0 -o "msr_gp: MSRs outside the range raise #GP" -- $G/msr_gp.bin
check "hypercall: args, result, ENOSYS, registers kept" 0 -o "hypercall: checked" -- $G/hypercall.bin
check "smp: cpu_up with arg, IPI, cpu_down" 0 -o "smp: vCPU 1 up" -o "smp: checked" -- -smp 2 $G/smp.bin
# With one vCPU there is no vCPU 1: the guest's check 1 (cpu_up succeeded) fails.
check "smp: cpu_up beyond -smp 1 refused" 3 -- -smp 1 $G/smp.bin
check "halt: hlt woken by the timer" 0 -o "halt: woken by the timer twice" -- $G/halt.bin
check "triple: crash on triple fault" 4 -e "triple fault" -- $G/triple.bin
check "npf: crash on access to nowhere" 4 -e "nested page fault" -- $G/npf.bin
check "multiboot: a.out kludge kernel" 0 -o "multiboot ok" -- $G/multiboot.bin
check "multiboot: ELF32 kernel" 0 -o "multiboot ok" -- $G/multiboot-elf.elf
check "elf: ELF64 segments, entry, bss" 0 -o "elf: segments loaded" -- $G/elf.elf

# ------------------------------------------------------------------ options
check "option: -m 128M" 0 -o "mmio: all loads and stores checked" -- -m 128M $G/mmio.bin
check "option: --stats" 0 -o "Hello from" -e "total" -- --stats -smp 2 $G/hello.bin
check "option: --trace FILE" 0 -j "$tmp/trace.json" -- --trace "$tmp/trace.json" -smp 2 $G/hello.bin
check "option: --msr-range (the default, spelled out)" 0 -o "msr: checked" -- --msr-range 0x40001000:16 $G/msr.bin
# Moved away, the range no longer covers the guest's MSRs: KVM raises #GP,
# which without an IDT is a triple fault.
check "option: --msr-range elsewhere" 4 -e "triple fault" -- --msr-range 0x40002000:16 $G/msr.bin

# ------------------------------------------------------------------ bad input
# Images made here. elf64 writes an ELF64 executable with one PT_LOAD per
# (paddr, filesz, memsz) holding code that powers off; a sound one ("good")
# runs, so the broken ones fail for the reason named.
$PY - "$tmp" <<'EOF' || { echo "FAIL making the bad images"; exit 1; }
import os, struct, sys
d = sys.argv[1]
OFF = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, 0, 0, 0)  # size of a program header
CODE = bytes.fromhex("b802100000e6f5f4")  # mov $SYSTEM_OFF, %eax; out %al, $0xf5; hlt

def elf64(name, segs, machine=62, phnum=None, entry=0x100000, extra=b""):
    phoff, n = 64, len(segs)
    data_off = phoff + n * len(OFF)
    eh = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, bytes(7), 2, machine, 1,
                     entry, phoff, 0, 0, 64, len(OFF), n if phnum is None else phnum, 64, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", 1, 5, data_off, pa, pa, fs, ms, 0x1000) for pa, fs, ms in segs)
    with open(os.path.join(d, name), "wb") as f:
        f.write(eh + ph + CODE.ljust(16, b"\xf4") + extra)

def multiboot(name, flags, checksum=None, addrs=()):
    s = (-(0x1BADB002 + flags)) & 0xffffffff if checksum is None else checksum
    hdr = struct.pack("<III", 0x1BADB002, flags, s) + b"".join(struct.pack("<I", a) for a in addrs)
    with open(os.path.join(d, name), "wb") as f:
        f.write(hdr + bytes(64))

elf64("good.elf", [(0x100000, 16, 16)])
with open(os.path.join(d, "good.elf"), "rb") as f:
    head = f.read(20)
with open(os.path.join(d, "truncated.elf"), "wb") as f:
    f.write(head)
elf64("beyond-mem.elf", [(0x80000000, 16, 16)])           # 2 GiB in a 64 MiB guest
elf64("bss-beyond-mem.elf", [(0x100000, 16, 0x8000000)])  # memsz 128 MiB
elf64("wraps.elf", [(0xfffffffffffff000, 16, 0x2000)])    # paddr + memsz overflows
elf64("past-eof.elf", [(0x100000, 0x10000, 0x10000)])     # file bytes the file lacks
elf64("no-phdrs.elf", [], phnum=0)
elf64("aarch64.elf", [(0x100000, 16, 16)], machine=183)
multiboot("mb-bad-checksum.bin", 0x00010002, checksum=0)
# a.out kludge: header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr
multiboot("mb-beyond-mem.bin", 0x00010002, addrs=(0x80000000, 0x80000000, 0x80001000, 0x80001000, 0x80000020))
EOF
mkdir "$tmp/dir"
: >"$tmp/empty.bin"
truncate -s 64M "$tmp/64M.bin"   # a flat image at 1 MiB cannot fit in -m 64M

check "bad-input generator: a sound generated ELF64 runs" 0 -- "$tmp/good.elf"
bad "missing image" -- "$tmp/does-not-exist.bin"
bad "empty image" -- "$tmp/empty.bin"
bad "image is a directory" -- "$tmp/dir"
bad "truncated ELF64 header" -- "$tmp/truncated.elf"
bad "ELF64 segment beyond guest memory" -- "$tmp/beyond-mem.elf"
bad "ELF64 bss beyond guest memory" -- "$tmp/bss-beyond-mem.elf"
bad "ELF64 segment address wraps around" -- "$tmp/wraps.elf"
bad "ELF64 segment past the end of the file" -- "$tmp/past-eof.elf"
bad "ELF64 without program headers" -- "$tmp/no-phdrs.elf"
bad "ELF64 for the wrong machine" -- "$tmp/aarch64.elf"
bad "multiboot header with a bad checksum" -- "$tmp/mb-bad-checksum.bin"
bad "multiboot load address beyond guest memory" -- "$tmp/mb-beyond-mem.bin"
bad "flat image larger than -m" -- "$tmp/64M.bin"
bad "-m 0" -- -m 0 $G/msr.bin
bad "-m 1T" -- -m 1T $G/msr.bin
bad "-m garbage" -- -m lots $G/msr.bin
bad "-m without a value" -- -m
bad "-smp 0" -- -smp 0 $G/msr.bin
bad "-smp 100000" -- -smp 100000 $G/msr.bin
bad "-smp garbage" -- -smp two $G/msr.bin
bad "--msr-range garbage" -- --msr-range lots:16 $G/msr.bin
bad "unknown option" -- --no-such-option $G/msr.bin
bad "no image argument" --
bad "two image arguments" -- $G/msr.bin $G/msr.bin
bad "no KVM (AXV_KVM_DEVICE=/nonexistent)" AXV_KVM_DEVICE=/nonexistent -- $G/msr.bin
bad "not KVM (AXV_KVM_DEVICE=/dev/null)" AXV_KVM_DEVICE=/dev/null -- $G/msr.bin

echo "kvm suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
