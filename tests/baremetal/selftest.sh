#!/bin/bash
# Checks that the harness reports failures: runs host-selftest-fail.elf (the
# normal image plus common/selftest/fail.c) through run.sh and expects exit
# status 1, the right FAIL line for each deliberately failing test, the
# last of them still passing, and the harness's own tests passing. (Other
# tests, e.g. the backend's, may pass or fail: not this script's business.)
#
#   tests/baremetal/selftest.sh ARCH     (make check-ARCH-harness builds first)
set -u
cd "$(dirname "$0")/../.." || exit 2
arch=${1:?usage: $0 ARCH}

out=$(BM_IMAGE=out/baremetal/$arch/host-selftest-fail.elf tests/baremetal/run.sh "$arch" 2>&1)
status=$?
bad=0
check() { # check DESCRIPTION COMMAND...
    if ! "${@:2}"; then
        echo "harness self-check: FAIL: $1"
        bad=1
    fi
}
has() { grep -qE -- "$1" <<<"$out"; }
not_has() { ! has "$1"; }

check "run.sh exits 1 (got $status)" test "$status" -eq 1
check "CHECK_EQ message" has '^FAIL selftest_fail_check_eq: fail\.c:[0-9]+: 1 \+ 1 == 3: 0x2 vs 0x3$'
check "check in a helper" has '^FAIL selftest_fail_in_helper: fail\.c:[0-9]+: helper got 42$'
check "CHECK_OK message" has '^FAIL selftest_fail_err: fail\.c:[0-9]+: AXV_ERR_BAD_STATE returned bad_state \(.*\), expected ok$'
case $arch in
riscv64)
    exception='^FAIL selftest_fail_exception: unexpected exception: trap from HS: scause=0x3 \(breakpoint\) sepc=0x8'
    cleanup='^FAIL selftest_fail_cleanup_traps: unexpected exception: trap from HS: scause=0x1 .*sepc=0x8 '
    ;;
x86_64)
    exception='^FAIL selftest_fail_exception: unexpected exception: vector 6 \(#UD invalid opcode\) .*RIP=0x1'
    cleanup='^FAIL selftest_fail_cleanup_traps: unexpected exception: vector 14 \(#PF page fault\) .*RIP=0x8 CR2=0x8 '
    ;;
*)
    exception='^FAIL selftest_fail_exception: unexpected exception: sync EL2h: ESR_EL2=0x[0-9a-f]+ \(EC 0x3c BRK'
    cleanup='^FAIL selftest_fail_cleanup_traps: unexpected exception: .*ELR_EL2=0x8 '
    ;;
esac
check "unexpected exception" has "$exception"
check "exception with a corrupt SP" has '^FAIL selftest_fail_exception_bad_sp: unexpected exception: .*SP=0x1234 \(outside the stack'
check "exception in a cleanup" has "$cleanup"
check "leak" has '^FAIL selftest_fail_leak: leaked 3 frames'
check "HAL misuse" has '^FAIL selftest_fail_hal_misuse: HAL misuse: free_frames\(0x[0-9a-f]+, 1\): not the start of an allocation \(double free\?\)$'
check "stack guard" has '^FAIL selftest_fail_stack_guard: stack overflow'
check "runs on after failures" has '^ok   selftest_zz_still_running$'
nfail=$(grep -E '^FAIL selftest_' <<<"$out" | sort -u | wc -l) # run.sh repeats them at the end
check "exactly 9 selftest FAIL lines (got $nfail)" test "$nfail" -eq 9
check "no harness_ test fails" not_has '^FAIL harness_'
check "a summary line" has '^[0-9]+ passed, [0-9]+ failed$'

if [ "$bad" -ne 0 ]; then
    echo "$out"
    echo "$arch harness self-check: FAILED"
    exit 1
fi
echo "$arch harness self-check: ok: the 9 deliberate failures are reported and the run went on (image summary: $(grep -E '^[0-9]+ passed' <<<"$out" | tail -n 1))"
