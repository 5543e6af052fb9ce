#!/bin/sh
# Acceptance: adding one exit kind with two fields to spec/exits.yaml, and
# nothing else, rebuilds the library and its generated tests cleanly, the new
# kind shows up in the tests and docs, and a hand-written switch that misses
# it (the sim demo's VMM loop) fails to compile.
set -eu
export LC_ALL=C  # ASCII quotes in compiler messages
PYTHON=${PYTHON:-/usr/bin/python3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for d in spec gen templates runtime arch tests examples bench build Makefile; do
    cp -r "$d" "$TMP/"
done
rm -rf "$TMP/gen/axvgen/__pycache__"
cat >> "$TMP/spec/exits.yaml" <<'YAML'

  - name: probe_event
    value: 200
    doc: An exit kind added by tests/spec/new_exit_kind.sh.
    fields:
      - {name: cookie, type: u64, doc: An opaque value.}
      - {name: lane, type: u8, range: [0, 3], doc: A constrained value.}
YAML

fail() { echo "new-exit-kind: FAIL: $*" >&2; exit 1; }

make -s -C "$TMP" PYTHON="$PYTHON" OPT=-O0 out/test-unit >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log"; fail "library and tests did not rebuild"; }
"$TMP/out/test-unit" >"$TMP/test.log" 2>&1 || { tail -20 "$TMP/test.log"; fail "tests failed with the new kind"; }
grep -q "START_TEST(test_roundtrip_probe_event)" "$TMP/out/gen/tests/test_exits.c" || fail "no round-trip test"
grep -q "START_TEST(test_reject_probe_event__lane__4)" "$TMP/out/gen/tests/test_exits.c" || fail "no constraint test"
grep -q "^### probe_event (200)" "$TMP/out/gen/docs/reference.md" || fail "not in the reference"
grep -q "AXV_TP_EXIT_PROBE_EVENT" "$TMP/out/gen/include/axv/gen/trace_points.h" || fail "no trace point"
if make -s -C "$TMP" PYTHON="$PYTHON" OPT=-O0 out/axv-sim-demo >"$TMP/demo.log" 2>&1; then
    fail "the demo's switch over exit kinds compiled without handling probe_event"
fi
grep -q "AXV_EXIT_PROBE_EVENT' not handled in switch" "$TMP/demo.log" || { cat "$TMP/demo.log"; fail "wrong compile error"; }
echo "new-exit-kind: ok ($(tail -1 "$TMP/test.log" | sed 's/^Check totals: //'); demo switch refused: $(grep -o "enumeration value 'AXV_EXIT_PROBE_EVENT' not handled in switch" "$TMP/demo.log" | head -1))"
