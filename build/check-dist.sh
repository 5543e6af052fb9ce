#!/bin/sh
# The dist bundle must build with cc alone: no Python on PATH, no generator
# files inside, strict warnings clean, and its demo must run.
set -eu
TARBALL=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
tar -C "$TMP" -xzf "$TARBALL"
DIR=$(find "$TMP" -mindepth 1 -maxdepth 1 -type d)
if find "$DIR" -name '*.py' -o -name '*.j2' -o -name '*.yaml' | grep -q .; then
    echo "check-dist: error: generator files leaked into the bundle" >&2
    exit 1
fi
# A PATH with the compiler and make but no Python.
mkdir -p "$TMP/bin"
for tool in cc gcc ar make sh as ld; do
    p=$(command -v "$tool") && ln -sf "$p" "$TMP/bin/$tool"
done
env -i PATH="$TMP/bin" HOME="$TMP" make -s -C "$DIR" CFLAGS="-O2 -Werror -Wshadow -Wconversion" >/dev/null
"$DIR/sim-demo" >/dev/null
echo "check-dist: bundle builds with cc alone and its demo runs"
