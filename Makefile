# axvcpu — see README.md. `make demo` and `make check` install what is missing first.
PYTHON ?= /usr/bin/python3
CC ?= cc
O := out
GEN := $(O)/gen
VERSION := 0.1.0

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wconversion -Wsign-conversion \
        -Wmissing-prototypes -Wswitch-enum -Wvla -Wstrict-prototypes
OPT ?= -O2 -g
HOST_DEFS := -D_POSIX_C_SOURCE=200809L
# The hosted library's vCPUs mostly use the host HAL and the kvm backend: the
# run path calls those directly (call hints, runtime/include/axv/hal.h and
# arch.h). The ASan build (sim only) keeps the plain indirect calls.
HOST_HINTS := -DAXV_HAL_CPU_ID_HINT=axv_host_cpu_id -DAXV_RUN_HINT=axv_kvm_run \
              -DAXV_COMPLETE_READ_HINT=axv_kvm_complete_read
INCS := -Iruntime/include -I$(GEN)/include -Iarch/sim/include -Iarch/kvm/include -Itests/unit -Iarch/x86_64
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# ------------------------------------------------------------------ generation
GEN_INPUTS := $(wildcard spec/*.yaml spec/arch/*/*.yaml spec/schema/*.json gen/axvgen/*.py templates/*.j2)
GEN_STAMP := $(GEN)/.stamp
GEN_SRCS := $(GEN)/src/errors.c $(GEN)/src/vcpu_sm.c $(GEN)/src/exits.c $(GEN)/src/trace_points.c
GEN_TESTS := $(GEN)/tests/test_transitions.c $(GEN)/tests/test_exits.c
# Per-arch tables: spec/arch/<arch>/exits.yaml -> <arch>_exits.c, calls.yaml -> <arch>_calls.c
gen_arch = $(patsubst spec/arch/%/$(1).yaml,$(GEN)/src/%_$(1).c,$(wildcard spec/arch/$(2)/$(1).yaml))

$(GEN_STAMP): $(GEN_INPUTS)
	PYTHONPATH=gen $(PYTHON) -m axvgen --spec-dir spec --out $(GEN)
	@touch $@
$(GEN_SRCS) $(GEN_TESTS) $(GEN)/docs/reference.md $(call gen_arch,exits,*) $(call gen_arch,calls,*): $(GEN_STAMP)

# ------------------------------------------------------------------ sources
CORE_SRCS := $(wildcard runtime/*.c) $(GEN_SRCS)
SIM_SRCS := arch/sim/sim.c arch/sim/host_hal.c
KVM_SRCS := arch/kvm/kvm.c $(call gen_arch,exits,kvm) $(call gen_arch,calls,kvm)
# The x86_64 MOV decoder is portable: the host tests cover it without VMX.
UNIT_SRCS := $(wildcard tests/unit/*.c) $(GEN_TESTS) arch/x86_64/decode.c

# $(call objs,variant,sources)
objs = $(patsubst %.c,$(O)/$(1)/%.o,$(patsubst $(GEN)/%,gen/%,$(2)))

define variant
$(O)/$(1)/gen/%.o: $(GEN)/%.c $(GEN_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $(2) -MMD -MP -c $$< -o $$@
$(O)/$(1)/%.o: %.c $(GEN_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $(2) -MMD -MP -c $$< -o $$@
endef

HOST_CFLAGS := $(WARN) $(OPT) $(HOST_DEFS) $(HOST_HINTS) $(INCS) $(CHECK_CFLAGS)
ASAN_CFLAGS := $(WARN) -O1 -g $(SAN) $(HOST_DEFS) $(INCS) $(CHECK_CFLAGS)
$(eval $(call variant,host,$(HOST_CFLAGS)))
$(eval $(call variant,asan,$(ASAN_CFLAGS)))

# The host library: the core plus the two hosted backends, sim and kvm.
LIB := $(O)/libaxvcpu-host.a
$(LIB): $(call objs,host,$(CORE_SRCS) $(SIM_SRCS) $(KVM_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(O)/test-unit: $(call objs,host,$(UNIT_SRCS)) $(LIB)
	$(CC) $(OPT) -o $@ $^ $(CHECK_LIBS) -lpthread
$(O)/test-unit-asan: $(call objs,asan,$(UNIT_SRCS) $(CORE_SRCS) $(SIM_SRCS))
	$(CC) $(SAN) -o $@ $^ $(CHECK_LIBS) -lpthread
$(O)/axv-sim-demo: $(call objs,host,examples/sim-demo/main.c) $(LIB)
	$(CC) $(OPT) -o $@ $^
$(O)/bench-core: $(call objs,host,bench/bench_core.c) $(LIB)
	$(CC) $(OPT) -o $@ $^
$(O)/bench-kvm: $(call objs,host,bench/bench_kvm.c) $(LIB)
	$(CC) $(OPT) -o $@ $^ -lpthread

-include $(shell find $(O) -name '*.d' 2>/dev/null)
# Test guests for the kvm backend (tests/guests/kvm).
-include build/guests-kvm.mk
-include build/baremetal-aarch64.mk
-include build/baremetal-riscv64.mk
-include build/baremetal-x86_64.mk

# ------------------------------------------------------------------ targets
.PHONY: all deps gen check check-unit check-asan check-spec check-freestanding check-dist \
        check-docs check-new-exit check-kvm demo bench dist clean

all: $(LIB) $(O)/test-unit $(O)/axv-sim-demo $(O)/bench-core $(O)/bench-kvm

deps:
	@./build/deps.sh

gen:
	PYTHONPATH=gen $(PYTHON) -m axvgen --spec-dir spec --out $(GEN)
	@touch $(GEN_STAMP)

check-unit: $(O)/test-unit
	$(O)/test-unit

check-asan: $(O)/test-unit-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(O)/test-unit-asan

check-spec:
	PYTHONPATH=gen $(PYTHON) tests/spec/run.py

check-freestanding: $(GEN_STAMP)
	./build/freestanding.sh $(GEN)

check-dist: dist
	./build/check-dist.sh $(O)/axvcpu-$(VERSION).tar.gz

# The state diagram must be valid Graphviz; the SVG is kept for people.
check-docs: $(GEN_STAMP)
	@mkdir -p $(O)/docs
	dot -Tsvg $(GEN)/docs/vcpu_states.dot -o $(O)/docs/vcpu_states.svg
	@echo "docs: $(GEN)/docs/reference.md, $(O)/docs/vcpu_states.svg"

check-new-exit:
	PYTHON=$(PYTHON) ./tests/spec/new_exit_kind.sh

check-kvm: $(O)/axv-run kvm-guests
	./tests/kvm/run.sh

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-spec
	@$(MAKE) --no-print-directory check-freestanding
	@$(MAKE) --no-print-directory check-dist
	@$(MAKE) --no-print-directory check-docs
	@$(MAKE) --no-print-directory check-kvm
	@$(MAKE) --no-print-directory check-aarch64
	@$(MAKE) --no-print-directory check-aarch64-harness
	@$(MAKE) --no-print-directory check-riscv64
	@$(MAKE) --no-print-directory check-riscv64-harness
	@$(MAKE) --no-print-directory check-x86_64
	@$(MAKE) --no-print-directory check-x86_64-harness
	@$(MAKE) --no-print-directory check-new-exit
	@echo "make check: all suites passed"

# The main job: axv-run on the KVM demo guest; the sim demo where KVM is missing.
demo: deps
	@$(MAKE) --no-print-directory $(O)/axv-run $(O)/axv-sim-demo $(O)/guests/kvm/hello.bin
	@if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then \
	    $(O)/axv-run -smp 2 --stats --trace $(O)/demo-trace.json $(O)/guests/kvm/hello.bin && \
	    echo "demo: trace written to $(O)/demo-trace.json (open it in https://ui.perfetto.dev)"; \
	else \
	    echo "demo: /dev/kvm is not usable here; running the sim demo instead"; \
	    $(O)/axv-sim-demo; \
	fi

bench: deps
	@$(MAKE) --no-print-directory $(O)/bench-core $(O)/bench-kvm
	$(O)/bench-core
	$(O)/bench-kvm
	@$(MAKE) --no-print-directory bench-aarch64 profile-aarch64
	@$(MAKE) --no-print-directory bench-riscv64 profile-riscv64
	@$(MAKE) --no-print-directory bench-x86_64 profile-x86_64

dist: $(GEN_STAMP)
	./build/dist.sh $(GEN) $(O) $(VERSION)

clean:
	rm -rf $(O)

# ------------------------------------------------------------------ axv-run
AXVRUN_SRCS := $(wildcard examples/axv-run/*.c)
$(O)/axv-run: $(call objs,host,$(AXVRUN_SRCS)) $(LIB)
	$(CC) $(OPT) -o $@ $^ -lpthread
all: $(O)/axv-run
