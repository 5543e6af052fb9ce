#!/bin/sh
# Packs the generated and hand-written C into a bundle that builds with a C
# compiler alone (no Python, no Jinja2), for hypervisors that vendor axvcpu.
set -eu
GEN=$1 OUT=$2 VERSION=$3
NAME=axvcpu-$VERSION
STAGE=$OUT/dist/$NAME

rm -rf "$OUT/dist"
mkdir -p "$STAGE/include/axv/gen" "$STAGE/src" "$STAGE/arch/sim/axv" "$STAGE/docs" "$STAGE/examples"
cp runtime/include/axv/*.h "$STAGE/include/axv/"
cp "$GEN"/include/axv/gen/*.h "$STAGE/include/axv/gen/"
cp runtime/*.c runtime/*.h "$STAGE/src/"
cp "$GEN"/src/*.c "$STAGE/src/"
cp arch/sim/*.c "$STAGE/arch/sim/"
cp arch/sim/include/axv/sim.h "$STAGE/arch/sim/axv/"
cp "$GEN"/docs/* "$STAGE/docs/"
cp examples/sim-demo/main.c "$STAGE/examples/sim-demo.c"
cat > "$STAGE/Makefile" <<'MK'
# Builds libaxvcpu.a (portable core) and libaxvcpu-sim.a (host simulator)
# with nothing but a C compiler and ar. Generated from the axvcpu spec.
CC ?= cc
AR ?= ar
CFLAGS ?= -O2
override CFLAGS += -std=c11 -Wall -Wextra -Iinclude -Iarch/sim
CORE := $(patsubst %.c,%.o,$(wildcard src/*.c))
SIM := $(patsubst %.c,%.o,$(wildcard arch/sim/*.c))

all: libaxvcpu.a libaxvcpu-sim.a sim-demo
libaxvcpu.a: $(CORE)
	$(AR) rcs $@ $^
libaxvcpu-sim.a: $(SIM)
	$(AR) rcs $@ $^
arch/sim/%.o: arch/sim/%.c
	$(CC) $(CFLAGS) -D_POSIX_C_SOURCE=200809L -c $< -o $@
sim-demo: examples/sim-demo.c libaxvcpu-sim.a libaxvcpu.a
	$(CC) $(CFLAGS) -o $@ $^
clean:
	rm -f src/*.o arch/sim/*.o *.a sim-demo
MK
cat > "$STAGE/README" <<EOF2
axvcpu $VERSION — a checked vCPU lifecycle, typed VM exits and tracing for hypervisors.

Build:  make            (or compile src/*.c with -Iinclude into your hypervisor)
Freestanding: add -ffreestanding -nostdlib; the core needs only memcpy/memset.
Reference: docs/reference.md (states, transition matrix, exits, errors),
           docs/vcpu_states.dot (state diagram).
The C here is generated from YAML specs by axvgen; regenerate in the source tree.
EOF2
tar -C "$OUT/dist" -czf "$OUT/$NAME.tar.gz" "$NAME"
echo "dist: $OUT/$NAME.tar.gz ($(find "$STAGE" -type f | wc -l) files)"
