/*
 * The sim demo: a VMM loop on the public API running a guest that produces
 * every exit kind, answering each the way a real VMM would, then printing
 * the vCPU's trace. The switch below names every exit kind on purpose: a
 * new kind in spec/exits.yaml makes it fail to compile until it is handled.
 */
#include <stdio.h>
#include <stdlib.h>

#include "axv/axv.h"
#include "axv/sim.h"

#define DEMO_UART 0x09000000u

static const struct axv_sim_insn demo_guest[] = {
    AXV_SIM_EXIT(AXV_EXIT_MMIO_WRITE, DEMO_UART, 1, 'h'),
    AXV_SIM_EXIT(AXV_EXIT_MMIO_WRITE, DEMO_UART, 1, 'i'),
    AXV_SIM_EXIT(AXV_EXIT_MMIO_READ, DEMO_UART + 4, 1, 5, 8, 1),  /* signed byte */
    AXV_SIM_EXPECT(5, 0xfffffffffffffff0u),
    AXV_SIM_EXIT(AXV_EXIT_IO_WRITE, 0x3f8, 1, '!'),
    AXV_SIM_EXIT(AXV_EXIT_IO_READ, 0x3fd, 1),
    AXV_SIM_EXPECT(0, 0x60),
    AXV_SIM_EXIT(AXV_EXIT_SYS_REG_WRITE, 0xc0000080u, 0x501),
    AXV_SIM_EXIT(AXV_EXIT_SYS_REG_READ, 0xc0000080u, 6),
    AXV_SIM_EXPECT(6, 0x501),
    AXV_SIM_EXIT(AXV_EXIT_HYPERCALL, 0x10, 1, 2, 3, 0, 0, 0),
    AXV_SIM_EXPECT(0, 6),
    AXV_SIM_EXIT(AXV_EXIT_NESTED_PAGE_FAULT, 0xdead000, AXV_NESTED_PAGE_FAULT_ACCESS_FLAGS_WRITE),
    AXV_SIM_EXIT(AXV_EXIT_EXTERNAL_INTERRUPT, 27),
    AXV_SIM_EXIT(AXV_EXIT_SEND_IPI, 1, 0, 0, 0, 2),
    AXV_SIM_EXIT(AXV_EXIT_CPU_UP, 1, 0x80000, 0xa1),
    AXV_SIM_WAIT_IRQ(7),                                           /* halts until the VMM injects */
    AXV_SIM_EXPECT(7, 40),
    AXV_SIM_EXIT(AXV_EXIT_IDLE),
    AXV_SIM_EXIT(AXV_EXIT_INTERRUPT_END, 1, 40),
    AXV_SIM_EXIT(AXV_EXIT_NOTHING),
    AXV_SIM_EXIT(AXV_EXIT_FAIL_ENTRY, 7),
    AXV_SIM_EXIT(AXV_EXIT_INTERNAL_ERROR, AXV_INTERNAL_ERROR_SUBCODE_UNKNOWN_EXIT, 0x99),
    AXV_SIM_EXIT(AXV_EXIT_CPU_DOWN, 0),
    AXV_SIM_EXIT(AXV_EXIT_SHUTDOWN, AXV_SHUTDOWN_REASON_RESET_REQUEST),
    AXV_SIM_MOV(9, 3),
    AXV_SIM_JUMP(26),                                              /* spins: the preemption timer ends it */
    AXV_SIM_EXIT(AXV_EXIT_SYSTEM_DOWN),
};

static void die(const char *what, enum axv_err err)
{
    fprintf(stderr, "axv-sim-demo: %s: %s (%s)\n", what, axv_err_name(err), axv_err_message(err));
    exit(1);
}

int main(void)
{
    const struct axv_hal *hal = axv_host_hal();
    struct axv_percpu pc = {0};
    struct axv_vcpu v;
    struct axv_sim_config cfg = {.prog = demo_guest, .len = sizeof(demo_guest) / sizeof(demo_guest[0])};
    struct axv_vcpu_config vc = {.vm_id = 1, .vcpu_id = 0, .arch_config = &cfg};
    static const struct axv_npt_config npt = {.root = 0x100000, .levels = 4, .gpa_bits = 48};
    static struct axv_trace_rec ring[128];
    unsigned counts[AXV_EXIT__LIMIT] = {0};
    enum axv_err err;
    bool done = false;
    static char log[64][200];
    unsigned nlog = 0;

    if ((err = axv_percpu_init(&pc, 0, &axv_sim_ops, hal)) || (err = axv_percpu_enable(&pc)))
        die("per-CPU enable", err);
    if ((err = axv_vcpu_create(&v, &vc, &axv_sim_ops, hal)))
        die("create", err);
    axv_trace_attach(&v, ring, 128);
    if ((err = axv_vcpu_setup(&v, 0, &npt, NULL)) || (err = axv_vcpu_bind(&v)))
        die("setup/bind", err);

    printf("guest output: ");
    while (!done) {
        struct axv_exit e;
        char text[200];

        if ((err = axv_vcpu_run(&v, &e)))
            die("run", err);
        counts[e.kind]++;
        axv_exit_format(&e, text, sizeof(text));
        switch (e.kind) {
        case AXV_EXIT_MMIO_WRITE:
        case AXV_EXIT_IO_WRITE:
            putchar((int)(e.kind == AXV_EXIT_IO_WRITE ? e.u.io_write.data : e.u.mmio_write.data));
            break;
        case AXV_EXIT_MMIO_READ:
            err = axv_vcpu_complete_read(&v, 0xf0); /* a status register reading as a negative byte */
            break;
        case AXV_EXIT_IO_READ:
            err = axv_vcpu_complete_read(&v, 0x60); /* UART LSR: transmitter empty */
            break;
        case AXV_EXIT_SYS_REG_READ:
            err = axv_vcpu_complete_read(&v, 0x501);
            break;
        case AXV_EXIT_HYPERCALL:
            err = axv_vcpu_set_return_value(&v, e.u.hypercall.args[0] + e.u.hypercall.args[1] + e.u.hypercall.args[2]);
            break;
        case AXV_EXIT_HALT:
            /* Park it, deliver an interrupt, wake it: what a VMM does on a timer tick. */
            if (!(err = axv_vcpu_block(&v)) && !(err = axv_vcpu_inject_interrupt(&v, 40)))
                err = axv_vcpu_unblock(&v);
            break;
        case AXV_EXIT_PREEMPTION_TIMER:
            err = axv_vcpu_set_entry(&v, 27); /* the guest spun: move it on to power-off */
            break;
        case AXV_EXIT_SYSTEM_DOWN:
            done = true;
            break;
        case AXV_EXIT_INTERNAL_ERROR:
            if (e.u.internal_error.subcode == AXV_INTERNAL_ERROR_SUBCODE_EMULATION_FAILED) {
                fprintf(stderr, "\naxv-sim-demo: guest check failed: %s\n", text);
                return 1;
            }
            break;
        case AXV_EXIT_NOTHING:
        case AXV_EXIT_SYS_REG_WRITE:
        case AXV_EXIT_EXTERNAL_INTERRUPT:
        case AXV_EXIT_NESTED_PAGE_FAULT:
        case AXV_EXIT_CPU_UP:
        case AXV_EXIT_CPU_DOWN:
        case AXV_EXIT_FAIL_ENTRY:
        case AXV_EXIT_SEND_IPI:
        case AXV_EXIT_IDLE:
        case AXV_EXIT_INTERRUPT_END:
        case AXV_EXIT_SHUTDOWN:
            break; /* a real VMM acts on these; the demo only shows them */
        }
        if (err)
            die(text, err);
        snprintf(log[nlog++ % 64], sizeof(log[0]), "%s", text);
    }
    printf("\n\nexits, as the VMM saw them:\n");
    for (unsigned i = 0; i < nlog && i < 64; i++)
        printf("  %s\n", log[i]);
    printf("\nthe vCPU's trace ring (time in ns from the first record):\n");
    for (uint32_t i = 0; i < axv_trace_count(&v); i++) {
        char line[160];
        struct axv_trace_rec r = *axv_trace_get(&v, i);
        r.ts -= axv_trace_get(&v, 0)->ts;
        axv_trace_format(&r, line, sizeof(line));
        printf("  %s\n", line);
    }
    unsigned kinds = 0;
    for (uint32_t k = 0; k < AXV_EXIT__LIMIT; k++)
        kinds += counts[k] != 0;
    printf("\n%u of %u exit kinds produced; %u trace records\n", kinds, AXV_EXIT__COUNT, v.trace.head);
    if ((err = axv_vcpu_unbind(&v)) || (err = axv_vcpu_destroy(&v)) || (err = axv_percpu_fini(&pc)))
        die("teardown", err);
    return kinds == AXV_EXIT__COUNT ? 0 : 1;
}
