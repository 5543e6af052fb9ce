#!/bin/sh
# The runtime and generated code must build freestanding for the bare-metal
# targets, and need nothing from libc but what GCC itself may call
# (memcpy/memset/memmove/memcmp).
set -eu
GEN=${1:-out/gen}
OUT=out/freestanding
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wconversion -Wsign-conversion -Wmissing-prototypes -Wswitch-enum -Wvla -Wstrict-prototypes"
SRCS="runtime/backend.c runtime/fmt.c runtime/percpu.c runtime/trace.c runtime/vcpu.c $GEN/src/errors.c $GEN/src/vcpu_sm.c $GEN/src/exits.c $GEN/src/trace_points.c"
ALLOWED="memcpy memset memmove memcmp"

check_one() {
    cc=$1 name=$2 extra=$3 binprefix=$4
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "freestanding: error: $cc not found (run build/deps.sh)" >&2
        exit 1
    fi
    dir=$OUT/$name
    mkdir -p "$dir"
    objs=""
    for src in $SRCS; do
        obj=$dir/$(basename "$src" .c).o
        # shellcheck disable=SC2086
        "$cc" $WARN -O2 -ffreestanding -nostdlib $extra -Iruntime/include -I"$GEN/include" -c "$src" -o "$obj"
        objs="$objs $obj"
    done
    # One relocatable object: any libc symbol the core needs shows as undefined.
    # shellcheck disable=SC2086
    "$cc" -nostdlib -r -o "$dir/libaxvcpu-core.o" $objs
    undef=$("${binprefix}nm" -u "$dir/libaxvcpu-core.o" | awk '{print $2}' | sort -u)
    for sym in $undef; do
        case " $ALLOWED " in
            *" $sym "*) ;;
            *) echo "freestanding: error: $name core needs '$sym' from the host" >&2; exit 1 ;;
        esac
    done
    # With tracing compiled out the core still builds.
    # shellcheck disable=SC2086
    "$cc" $WARN -O2 -ffreestanding -nostdlib -DAXV_NO_TRACE $extra -Iruntime/include -I"$GEN/include" \
        -c runtime/vcpu.c -o "$dir/vcpu-notrace.o"
    size=$("${binprefix}size" -t $objs | awk 'END {print $1 + $2}')
    echo "freestanding: $name ok ($size bytes text+data, undefined: $(echo $undef | tr '\n' ' '))"
}

# EL2 runs with the MMU off (Device memory): no unaligned accesses, no FP/SIMD;
# atomics inline, since there is no libgcc helper to call on bare metal.
check_one aarch64-linux-gnu-gcc aarch64 "-mstrict-align -mgeneral-regs-only -mno-outline-atomics" aarch64-linux-gnu-
check_one riscv64-linux-gnu-gcc riscv64 "-mcmodel=medany" riscv64-linux-gnu-
check_one "${CC:-cc}" host-x86_64 "-mno-red-zone -mgeneral-regs-only" ""

# The x86_64 VMX backend builds freestanding too (its Bochs suite links it;
# this keeps it compiling whatever runs).
x86=$OUT/host-x86_64/x86_64-backend
mkdir -p "$x86"
"${CC:-cc}" -O2 -Iruntime/include -I"$GEN/include" -Iarch/x86_64 -S arch/x86_64/asm_defs.c -o - | \
    sed -n 's/^->\([A-Z_]*\) \$\{0,1\}\([0-9]*\).*/#define \1 \2/p' > "$x86/asm_defs.h"
for src in arch/x86_64/x86_64.c arch/x86_64/decode.c; do
    # shellcheck disable=SC2086
    "${CC:-cc}" $WARN -O2 -ffreestanding -nostdlib -mno-red-zone -mgeneral-regs-only -Iruntime/include \
        -I"$GEN/include" -Iarch/x86_64/include -c "$src" -o "$x86/$(basename "$src" .c).o"
done
"${CC:-cc}" -I"$x86" -I"$GEN/include" -c arch/x86_64/switch.S -o "$x86/switch.o"
echo "freestanding: x86_64 VMX backend ok"
