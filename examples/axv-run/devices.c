/* axv-run's devices: COM1, isa-debug-exit, ACPI power-off, the counter
 * port, the MMIO test device, the MSR range and the VMM's own hypercalls. */
#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"
#include "vmm.h"

#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_LCR_DLAB 0x80
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

/* Bytes from stdin waiting for the guest. */
static uint8_t input_buf[256];
static unsigned input_head, input_tail;
static pthread_mutex_t input_lock = PTHREAD_MUTEX_INITIALIZER;

static void *input_main(void *arg)
{
    (void)arg;
    for (;;) {
        uint8_t c;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n <= 0)
            return NULL; /* EOF: the guest simply never sees more input */
        pthread_mutex_lock(&input_lock);
        if ((uint8_t)(input_tail - input_head) != (uint8_t)(sizeof(input_buf) - 1))
            input_buf[input_tail++ % sizeof(input_buf)] = c;
        pthread_mutex_unlock(&input_lock);
    }
}

void dev_start_input(struct vmm *m)
{
    pthread_t t;
    (void)m;
    if (!isatty(STDIN_FILENO)) {
        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
        if (poll(&p, 1, 0) < 0)
            return;
    }
    if (pthread_create(&t, NULL, input_main, NULL) == 0)
        pthread_detach(t);
}

static bool input_ready(void)
{
    pthread_mutex_lock(&input_lock);
    bool ready = input_head != input_tail;
    pthread_mutex_unlock(&input_lock);
    return ready;
}

static uint8_t input_take(void)
{
    uint8_t c = 0;
    pthread_mutex_lock(&input_lock);
    if (input_head != input_tail)
        c = input_buf[input_head++ % sizeof(input_buf)];
    pthread_mutex_unlock(&input_lock);
    return c;
}

static void uart_write(struct vmm *m, unsigned reg, uint8_t v)
{
    struct uart *u = &m->uart;
    bool dlab = u->lcr & UART_LCR_DLAB;

    switch (reg) {
    case UART_RBR:
        if (dlab) {
            u->dll = v;
        } else {
            putchar(v);
            if (v == '\n')
                fflush(stdout);
        }
        break;
    case UART_IER:
        if (dlab)
            u->dlm = v;
        else
            u->ier = v & 0x0f;
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v;
        break;
    case UART_SCR:
        u->scr = v;
        break;
    default:
        break; /* FCR and the read-only registers */
    }
}

static uint8_t uart_read(struct vmm *m, unsigned reg)
{
    struct uart *u = &m->uart;
    bool dlab = u->lcr & UART_LCR_DLAB;

    switch (reg) {
    case UART_RBR:
        return dlab ? u->dll : input_take();
    case UART_IER:
        return dlab ? u->dlm : u->ier;
    case UART_IIR:
        return 0x01; /* no interrupt pending */
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        return UART_LSR_THRE | UART_LSR_TEMT | (input_ready() ? UART_LSR_DR : 0);
    case UART_MSR:
        return 0xb0; /* DCD, DSR, CTS */
    default:
        return u->scr;
    }
}

void dev_io_write(struct vmm *m, uint16_t port, uint8_t width, uint64_t value)
{
    pthread_mutex_lock(&m->dev_lock);
    if (port >= AXVRUN_COM1 && port < AXVRUN_COM1 + 8)
        uart_write(m, port - AXVRUN_COM1, (uint8_t)value);
    else if (port == AXVRUN_COUNTER_PORT)
        m->counter = 0;
    pthread_mutex_unlock(&m->dev_lock);

    if (port == AXVRUN_DEBUG_EXIT)
        vmm_stop(m, (int)(((value & 0x7f) << 1) | 1), NULL);
    else if (port == AXVRUN_ACPI_PM1A && width == 2 && value == 0x2000)
        vmm_stop(m, AXVRUN_EXIT_POWEROFF, NULL);
    /* Writes to ports nobody decodes are dropped, as on a real bus. */
}

uint64_t dev_io_read(struct vmm *m, uint16_t port, uint8_t width)
{
    uint64_t v;

    pthread_mutex_lock(&m->dev_lock);
    if (port >= AXVRUN_COM1 && port < AXVRUN_COM1 + 8)
        v = uart_read(m, port - AXVRUN_COM1);
    else if (port == AXVRUN_COUNTER_PORT)
        v = m->counter++;
    else
        v = width >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * width)) - 1; /* floating bus: all ones */
    pthread_mutex_unlock(&m->dev_lock);
    return v;
}

/* ------------------------------------------------------------ test device */
static const uint64_t testdev_id = 0x8877665544332211u;
static const uint64_t testdev_neg = 0x8081828384858687u;

static uint64_t bytes_of(uint64_t reg, unsigned off, uint8_t width)
{
    uint64_t v = reg >> (8 * off);
    return width >= 8 ? v : v & ((UINT64_C(1) << (8 * width)) - 1);
}

bool dev_mmio_read(struct vmm *m, uint64_t gpa, uint8_t width, uint64_t *value)
{
    if (gpa < AXVRUN_TESTDEV || gpa + width > AXVRUN_TESTDEV + AXVRUN_TESTDEV_SIZE)
        return false;
    uint64_t off = gpa - AXVRUN_TESTDEV;
    unsigned in = (unsigned)(off & 7);
    uint64_t reg = 0;

    pthread_mutex_lock(&m->dev_lock);
    switch (off & ~UINT64_C(7)) {
    case AXVRUN_TESTDEV_ID:
        reg = testdev_id;
        break;
    case AXVRUN_TESTDEV_NEG:
        reg = testdev_neg;
        break;
    case AXVRUN_TESTDEV_SCRATCH:
        reg = m->testdev_scratch;
        break;
    case AXVRUN_TESTDEV_WRITES:
        reg = m->testdev_writes;
        break;
    default:
        break;
    }
    pthread_mutex_unlock(&m->dev_lock);
    /* An access running past its register reads zeros for the bytes beyond. */
    *value = in + width > 8 ? bytes_of(reg, in, (uint8_t)(8 - in)) : bytes_of(reg, in, width);
    return true;
}

bool dev_mmio_write(struct vmm *m, uint64_t gpa, uint8_t width, uint64_t value)
{
    if (gpa < AXVRUN_TESTDEV || gpa + width > AXVRUN_TESTDEV + AXVRUN_TESTDEV_SIZE)
        return false;
    uint64_t off = gpa - AXVRUN_TESTDEV;
    unsigned in = (unsigned)(off & 7);

    pthread_mutex_lock(&m->dev_lock);
    m->testdev_writes++;
    if ((off & ~UINT64_C(7)) == AXVRUN_TESTDEV_SCRATCH && in + width <= 8) {
        uint64_t mask = (width >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * width)) - 1) << (8 * in);
        m->testdev_scratch = (m->testdev_scratch & ~mask) | ((value << (8 * in)) & mask);
    }
    pthread_mutex_unlock(&m->dev_lock);
    return true;
}

/* ------------------------------------------------------------------- MSRs */
uint64_t dev_msr_read(struct vmm *m, uint32_t msr)
{
    uint64_t v = 0;
    pthread_mutex_lock(&m->dev_lock);
    if (msr == AXVRUN_MSR_ID)
        v = 0x6e75722d767861u; /* "axv-run" */
    else if (msr == AXVRUN_MSR_SCRATCH)
        v = m->msr_scratch;
    pthread_mutex_unlock(&m->dev_lock);
    return v;
}

void dev_msr_write(struct vmm *m, uint32_t msr, uint64_t value)
{
    pthread_mutex_lock(&m->dev_lock);
    if (msr == AXVRUN_MSR_SCRATCH)
        m->msr_scratch = value;
    pthread_mutex_unlock(&m->dev_lock);
}

/* ------------------------------------------------------------- hypercalls */
struct timer_req {
    struct vmm *m;
    uint32_t vcpu;
    uint32_t vector;
    uint64_t delay_us;
};

static void *timer_main(void *arg)
{
    struct timer_req *t = arg;
    struct timespec ts = {.tv_sec = (time_t)(t->delay_us / 1000000u), .tv_nsec = (long)(t->delay_us % 1000000u) * 1000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    vmm_interrupt(t->m, t->vcpu, t->vector);
    __atomic_fetch_sub(&t->m->pending_timers, 1, __ATOMIC_ACQ_REL);
    free(t);
    return NULL;
}

uint64_t dev_hypercall(struct vmm *m, uint32_t vcpu, uint64_t nr, const uint64_t args[6])
{
    switch (nr) {
    case AXVRUN_HC_ADD:
        return args[0] + args[1] + args[2] + args[3] + args[4] + args[5];
    case AXVRUN_HC_TIMER: {
        struct timer_req *t = malloc(sizeof(*t));
        pthread_t th;
        if (!t || args[0] < 32 || args[0] > 255 || args[1] > 10000000u) {
            free(t);
            return 1;
        }
        *t = (struct timer_req){m, vcpu, (uint32_t)args[0], args[1]};
        __atomic_fetch_add(&m->pending_timers, 1, __ATOMIC_ACQ_REL);
        if (pthread_create(&th, NULL, timer_main, t) != 0) {
            __atomic_fetch_sub(&m->pending_timers, 1, __ATOMIC_ACQ_REL);
            free(t);
            return 1;
        }
        pthread_detach(th);
        return 0;
    }
    default:
        return AXVRUN_ENOSYS;
    }
}
