#!/usr/bin/python3
"""Where one bench round trip's instructions go, per function.

    tests/baremetal/profile.py ARCH [PATH]   ARCH: aarch64, riscv64 or x86_64
                                            PATH (QEMU): loop (default) or handler

Runs ARCH's bench image (make the host-bench.elf first; `make profile-ARCH`
does) under QEMU with one instruction per translation block and the exec
log streamed through a pipe, so nothing big is written. It takes the
guest's first trapping instruction in its bench loop (hvc / ecall, from the
guest ELF) as the marker, reads until SKIP + 2 round trips through the
bench loop have run (other guests share the marker's address), stops QEMU, and prints the instructions between two consecutive
markers grouped by function (PCs outside the host image count as GUEST).
Two consecutive round trips must agree, or the figure is not the steady
state and the script says so.

x86_64 runs under Bochs (the ISO next to the ELF), which has no exec log
but has its debugger: a command file breaks at each bench function (the
ops-only bench too: one table each), then at the marker (the guest's first
VMCALL) SKIP times, and traces the next two round trips into the debugger
log. Bochs counts a VM exit as part of the instruction that caused it, so
the figures add up to the bench's own (its TSC ticks once per instruction).
"""
import bisect
import os
import re
import signal
import subprocess
import sys
import tempfile

SKIP = 1000  # round trips left to warm up (the bench loops run 100000; x86_64's 10000)
ARCHES = {
    "aarch64": {
        "tool": "aarch64-linux-gnu-",
        "guest": "hvc_bench",
        "trap": re.compile(r"\bhvc\b"),
        "qemu": ["qemu-system-aarch64", "-M", "virt,virtualization=on,gic-version=3", "-cpu", "cortex-a72",
                 "-m", "256M", "-nographic", "-semihosting", "-nic", "none"],
    },
    "riscv64": {
        "tool": "riscv64-linux-gnu-",
        "guest": "sbi_bench",
        "trap": re.compile(r"\becall\b"),
        "qemu": ["qemu-system-riscv64", "-M", "virt", "-cpu", "rv64,h=true", "-m", "256M", "-nographic",
                 "-semihosting", "-nic", "none", "-bios", "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin"],
    },
    "x86_64": {
        "tool": "",
        "guest": "vmcall_bench",
        "trap": re.compile(r"\bvmcall\b"),
        "bochs": ["bochs", "-q", "-f", "build/bochsrc-x86_64.txt"],
    },
}
# A traced instruction in Bochs' debugger log: "(0).[tick] [0xPHYS] SEL:OFFSET (ctxt): insn".
BOCHS_LINE = re.compile(r"\(\d+\)\.\[\d+\] \[0x[0-9a-f]+\] [0-9a-f]+:([0-9a-f]+) ")
# Which round trips count under QEMU: those that ran the VMM loop of a bench
# test, or the exit handler the handled bench gives its vCPU
# (tests/baremetal/common/bench.c).
WITNESSES = {"loop": r"bm_test_fn_bench_[a-z]+_round_trip", "handler": "bm_bench_handler"}
LOG_LINE = re.compile(r"Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")


def fail(msg):
    print(f"profile: {msg}", file=sys.stderr)
    sys.exit(1)


def text_symbols(tool, elf):
    out = subprocess.run([tool + "nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    if not syms:
        fail(f"{elf}: no text symbols")
    return syms


def first_trap(tool, elf, trap):
    out = subprocess.run([tool + "objdump", "-d", elf], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+[0-9a-f ]+\s+(\S.*)", line)
        if m and trap.search(m.group(2)):
            return int(m.group(1), 16)
    fail(f"{elf}: no trapping instruction found")


def bochs_trips(cfg, image, fn, marker):
    """The PCs of two consecutive round trips through fn's loop, each from its marker on."""
    iso = image[:-len(".elf")] + ".iso"
    if not os.path.exists(iso):
        fail(f"{iso} missing: make profile-x86_64 builds it")
    with tempfile.TemporaryDirectory() as tmp:
        # The bench function's breakpoint first, so that only its guest's
        # VMCALLs count (every guest is linked at the marker's address).
        cmds = [f"lb {fn:#x}", "c", "d 1", f"lb {marker:#x}"] + ["c"] * (SKIP + 1) + ["trace on", "c", "c", "quit"]
        rc, dbg = os.path.join(tmp, "rc"), os.path.join(tmp, "debugger.log")
        with open(rc, "w") as f:
            f.write("\n".join(cmds) + "\n")
        env = dict(os.environ, BM_ISO=iso, BM_SERIAL=os.path.join(tmp, "com1.txt"),
                   BM_LOG=os.path.join(tmp, "bochs.log"))
        try:
            subprocess.run(cfg["bochs"] + ["-rc", rc, "-dbglog", dbg], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, timeout=300)
        except subprocess.TimeoutExpired:
            fail("Bochs did not finish in 300 s")
        pcs = []
        with open(dbg, errors="replace") as log:
            for line in log:
                m = BOCHS_LINE.match(line)
                if m:
                    pcs.append(int(m.group(1), 16))
    trips, current = [], None
    for pc in pcs:
        if pc == marker:
            if current is not None:
                trips.append(current)
            current = []
        elif current is not None:
            current.append(pc)
    if current is not None:
        trips.append(current)  # the last one ends at the breakpoint, before its marker
    if len(trips) < 2:
        fail(f"{len(pcs)} instructions traced in {len(trips)} round trips: did the bench loop run?")
    return trips[0], trips[1]


def report(arch, what, marker, first, second, owner):
    counts = {}
    for pc in [marker] + first:
        name = "GUEST" if pc == marker else owner(pc)
        counts[name] = counts.get(name, 0) + 1
    total = len(first) + 1
    print(f"{arch} {what}, round trip {SKIP + 1}: {total} instructions (marker {marker:#x})")
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {n:5d}  {name}")
    if len(second) != len(first):
        print(f"note: the next round trip took {len(second) + 1}: not a steady state")


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ARCHES:
        fail("usage: profile.py aarch64|riscv64|x86_64 [loop|handler]")
    arch = sys.argv[1]
    mode = sys.argv[2] if len(sys.argv) == 3 else "loop"
    if mode not in WITNESSES:
        fail(f"unknown path {mode}: loop or handler")
    cfg = ARCHES[arch]
    out = f"out/baremetal/{arch}"
    image, guest = f"{out}/host-bench.elf", f"{out}/guests/{cfg['guest']}.elf"
    for path in (image, guest):
        if not os.path.exists(path):
            fail(f"{path} missing: make profile-{arch} builds it")
    syms = text_symbols(cfg["tool"], image)
    starts = [s[0] for s in syms]
    host_lo, host_hi = syms[0][0], syms[-1][0] + 0x10000
    marker = first_trap(cfg["tool"], guest, cfg["trap"])

    def owner(pc):
        if not host_lo <= pc < host_hi:
            return "GUEST"
        return syms[bisect.bisect_right(starts, pc) - 1][1]

    if "bochs" in cfg:  # every bench function, the handled one included: PATH does not apply
        fns = [(a, n) for a, n in syms if n.startswith("bm_test_fn_bench_")]
        if not fns:
            fail(f"{image}: no bm_test_fn_bench_* function")
        for fn, name in fns:
            first, second = bochs_trips(cfg, image, fn, marker)
            report(arch, f"bench round trip in {name[len('bm_test_fn_'):]}", marker, first, second, owner)
        return

    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "exec.log")
        os.mkfifo(fifo)
        cmd = cfg["qemu"] + ["-kernel", image, "-icount", "shift=0", "-singlestep", "-d", "exec,nochain", "-D", fifo]
        qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        # A segment between two markers counts only if the bench loop ran
        # in it: every guest image is linked at the same address, so other
        # tests' guests may execute the marker's PC too.
        bench_fn = [a for a, n in syms if re.fullmatch(WITNESSES[mode], n)]
        if len(bench_fn) != 1:
            fail(f"{image}: {len(bench_fn)} functions match {WITNESSES[mode]}, not one")
        bench_lo = bench_fn[0]
        bench_hi = starts[bisect.bisect_right(starts, bench_lo)] if bench_lo != starts[-1] else host_hi
        hits, valid, trips, current = 0, 0, [], None
        try:
            with open(fifo) as log:
                for line in log:
                    m = LOG_LINE.match(line)
                    if not m:
                        continue
                    pc = int(m.group(1), 16)
                    if pc != marker:
                        if current is not None:
                            current.append(pc)
                        continue
                    hits += 1
                    if current is not None and any(bench_lo <= p < bench_hi for p in current):
                        valid += 1
                        if valid > SKIP:
                            trips.append(current)
                            if len(trips) == 2:
                                break
                    current = []
        finally:
            os.killpg(qemu.pid, signal.SIGKILL)
            qemu.wait()
    if len(trips) < 2:
        fail(f"the marker at {marker:#x} ran {hits} times, {valid} of them through the bench loop: "
             "no steady state reached")
    report(arch, f"bench round trip ({mode})", marker, trips[0], trips[1], owner)


if __name__ == "__main__":
    main()
