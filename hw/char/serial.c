/*
 * serial.c: "isa-serial", the 16550A UART of the PC's COM ports.
 *
 * Registers and interrupt logic follow the National Semiconductor PC16550D
 * datasheet (register table, "Interrupt Identification Register" priorities,
 * "FIFO Interrupt Mode Operation" for trigger levels and the character
 * timeout). Transmission is instant: a THR write goes straight to the chardev,
 * so THRE/TEMT are set again at once and the THRE interrupt follows every
 * write. Receive is paced by the chardev: it offers no more bytes than the RX
 * FIFO has room for, and reading RBR asks it for more (flow control instead
 * of overruns).
 *
 * PC wiring: the UART's INTR pin reaches the ISA IRQ line through a buffer
 * enabled by the OUT2 modem-control output, so the line is only driven while
 * MCR.OUT2 is set; in loopback mode the modem outputs are forced inactive
 * (datasheet, MCR bit 4), which also cuts the line, while IIR still reports
 * the pending source.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "system/machine.h"
#include "chardev/char.h"

#define SERIAL_NR_REGS  8
#define SERIAL_FIFO_LEN 16
#define SERIAL_CLOCK_HZ 1843200     /* the PC's 1.8432 MHz crystal */

/* Register offsets (DLAB = LCR bit 7 swaps 0/1 for the divisor latch). */
enum {
    REG_RBR_THR = 0,
    REG_IER = 1,
    REG_IIR_FCR = 2,
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

#define IER_RDI     0x01    /* received data available (and char timeout) */
#define IER_THRI    0x02    /* transmitter holding register empty */
#define IER_RLSI    0x04    /* receiver line status */
#define IER_MSI     0x08    /* modem status */

#define IIR_NO_INT  0x01
#define IIR_MSI     0x00
#define IIR_THRI    0x02
#define IIR_RDI     0x04
#define IIR_RLSI    0x06
#define IIR_CTI     0x0c    /* character timeout (FIFO mode) */
#define IIR_FIFO    0xc0    /* FIFOs enabled */

#define FCR_FE      0x01
#define FCR_RFR     0x02    /* clear RX FIFO */
#define FCR_TFR     0x04    /* clear TX FIFO */
#define FCR_DMA     0x08
#define FCR_TRIG    0xc0

#define LCR_WLS     0x03
#define LCR_STB     0x04
#define LCR_PEN     0x08
#define LCR_DLAB    0x80

#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10

#define LSR_DR      0x01
#define LSR_OE      0x02
#define LSR_PE      0x04
#define LSR_FE      0x08
#define LSR_BI      0x10
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define LSR_RXFE    0x80    /* error in RX FIFO */
#define LSR_INT_ANY (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS    0x01
#define MSR_DDSR    0x02
#define MSR_TERI    0x04
#define MSR_DDCD    0x08
#define MSR_CTS     0x10
#define MSR_DSR     0x20
#define MSR_RI      0x40
#define MSR_DCD     0x80
#define MSR_DELTAS  0x0f

typedef struct SerialState {
    Device parent;
    /* properties */
    uint32_t iobase;
    uint32_t irq_num;
    Chardev *chr;

    IoRegion *io;
    IRQLine *irq;
    Timer timeout_timer;

    uint16_t divider;
    uint8_t ier;
    uint8_t iir;
    uint8_t fcr;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;
    uint8_t msr;
    uint8_t scr;

    uint8_t rx_fifo[SERIAL_FIFO_LEN];
    unsigned rx_head;
    unsigned rx_count;
    bool thr_ipending;
    bool timeout_ipending;
    int irq_level;
} SerialState;

static bool serial_fifo_enabled(SerialState *s)
{
    return s->fcr & FCR_FE;
}

static unsigned serial_rx_capacity(SerialState *s)
{
    return serial_fifo_enabled(s) ? SERIAL_FIFO_LEN : 1;
}

static unsigned serial_trigger_level(SerialState *s)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return levels[(s->fcr & FCR_TRIG) >> 6];
}

/* One character on the wire (start + data + parity + stop bits) in ns. */
static int64_t serial_char_time_ns(SerialState *s)
{
    unsigned data = 5 + (s->lcr & LCR_WLS);
    /* In half bits: 1.5 stop bits with 5-bit words, else 1 or 2. */
    unsigned stop2 = !(s->lcr & LCR_STB) ? 2 : (data == 5 ? 3 : 4);
    unsigned half_bits = 2 * (1 + data + !!(s->lcr & LCR_PEN)) + stop2;
    uint64_t div = s->divider ? s->divider : 1;   /* 0 is not a valid divisor */
    return (int64_t)(half_bits * div * 16 * 1000000000ULL / (2ULL * SERIAL_CLOCK_HZ));
}

static void serial_update_irq(SerialState *s)
{
    uint8_t id = IIR_NO_INT;

    /* Priority order from the datasheet's IIR table. */
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_INT_ANY)) {
        id = IIR_RLSI;
    } else if ((s->ier & IER_RDI) && s->rx_count &&
               (!serial_fifo_enabled(s) || s->rx_count >= serial_trigger_level(s))) {
        id = IIR_RDI;
    } else if ((s->ier & IER_RDI) && s->timeout_ipending) {
        id = IIR_CTI;
    } else if ((s->ier & IER_THRI) && s->thr_ipending) {
        id = IIR_THRI;
    } else if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS)) {
        id = IIR_MSI;
    }
    s->iir = id | (serial_fifo_enabled(s) ? IIR_FIFO : 0);

    int level = id != IIR_NO_INT && (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq, level);
    }
}

/* The character-timeout clock restarts whenever a byte enters or leaves the
 * RX FIFO; it only matters while bytes sit below the trigger level. */
static void serial_restart_timeout(SerialState *s)
{
    s->timeout_ipending = false;
    if (serial_fifo_enabled(s) && s->rx_count) {
        int64_t now = clock_ns(&s->timeout_timer.list->clock);
        timer_mod(&s->timeout_timer, now + 4 * serial_char_time_ns(s));
    } else {
        timer_del(&s->timeout_timer);
    }
}

static void serial_timeout(void *opaque)
{
    SerialState *s = opaque;
    if (serial_fifo_enabled(s) && s->rx_count) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_rx_clear(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->lsr &= ~(LSR_DR | LSR_RXFE);
    s->timeout_ipending = false;
    timer_del(&s->timeout_timer);
}

/* A character arrives at the receiver (from the chardev or looped back). */
static void serial_rx_byte(SerialState *s, uint8_t c)
{
    unsigned cap = serial_rx_capacity(s);
    if (s->rx_count < cap) {
        s->rx_fifo[(s->rx_head + s->rx_count) % SERIAL_FIFO_LEN] = c;
        s->rx_count++;
    } else {
        /* Overrun: in FIFO mode the character in the shift register is lost;
         * without FIFO the new character overwrites the holding register. */
        s->lsr |= LSR_OE;
        if (!serial_fifo_enabled(s)) {
            s->rx_fifo[s->rx_head] = c;
        }
    }
    s->lsr |= LSR_DR;
}

static uint8_t serial_rx_pop(SerialState *s)
{
    if (!s->rx_count) {
        return 0;
    }
    uint8_t c = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_LEN;
    s->rx_count--;
    if (!s->rx_count) {
        s->lsr &= ~(LSR_DR | LSR_RXFE);
    }
    return c;
}

/* Modem status inputs: in loopback they are the MCR outputs (DTR->DSR,
 * RTS->CTS, OUT1->RI, OUT2->DCD); otherwise a connected null-modem peer. */
static void serial_update_msr(SerialState *s)
{
    uint8_t lines;
    if (s->mcr & MCR_LOOP) {
        lines = ((s->mcr & MCR_DTR) ? MSR_DSR : 0) | ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
                ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
    } else {
        lines = MSR_DCD | MSR_DSR | MSR_CTS;
    }
    uint8_t old = s->msr;
    uint8_t delta = 0;
    if ((old ^ lines) & MSR_CTS) {
        delta |= MSR_DCTS;
    }
    if ((old ^ lines) & MSR_DSR) {
        delta |= MSR_DDSR;
    }
    if ((old & MSR_RI) && !(lines & MSR_RI)) {
        delta |= MSR_TERI;     /* trailing edge of ring indicator */
    }
    if ((old ^ lines) & MSR_DCD) {
        delta |= MSR_DDCD;
    }
    s->msr = lines | (old & MSR_DELTAS) | delta;
}

static uint64_t serial_read(void *opaque, uint64_t offset, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = 0xff;

    switch (offset) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            v = s->divider & 0xff;
            break;
        }
        v = serial_rx_pop(s);
        serial_restart_timeout(s);
        serial_update_irq(s);
        /* Room again: let the backend deliver what it holds. */
        if (!(s->mcr & MCR_LOOP)) {
            chardev_accept_input(s->chr);
        }
        break;
    case REG_IER:
        v = (s->lcr & LCR_DLAB) ? s->divider >> 8 : s->ier;
        break;
    case REG_IIR_FCR:
        v = s->iir;
        /* Reading IIR while it reports THRE acknowledges that interrupt. */
        if ((v & 0x0f) == IIR_THRI) {
            s->thr_ipending = false;
            serial_update_irq(s);
        }
        break;
    case REG_LCR:
        v = s->lcr;
        break;
    case REG_MCR:
        v = s->mcr;
        break;
    case REG_LSR:
        v = s->lsr;
        /* Error bits (and their interrupt) clear on read. */
        if (s->lsr & (LSR_INT_ANY | LSR_RXFE)) {
            s->lsr &= ~(LSR_INT_ANY | LSR_RXFE);
            serial_update_irq(s);
        }
        break;
    case REG_MSR:
        v = s->msr;
        if (s->msr & MSR_DELTAS) {
            s->msr &= ~MSR_DELTAS;
            serial_update_irq(s);
        }
        break;
    case REG_SCR:
        v = s->scr;
        break;
    }
    return v;
}

static void serial_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = value;

    switch (offset) {
    case REG_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | v;
            break;
        }
        s->thr_ipending = false;
        if (s->mcr & MCR_LOOP) {
            /* Loopback: the transmitter output feeds the receiver internally. */
            serial_rx_byte(s, v);
            serial_restart_timeout(s);
        } else if (s->chr) {
            chardev_write(s->chr, &v, 1);
        }
        /* Sent at once: holding and shift registers are empty again. */
        s->lsr |= LSR_THRE | LSR_TEMT;
        s->thr_ipending = true;
        serial_update_irq(s);
        break;
    case REG_IER:
        if (s->lcr & LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | (v << 8);
            break;
        }
        /* Enabling the THRE interrupt while THR is empty raises it at once. */
        if ((v & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE)) {
            s->thr_ipending = true;
        }
        s->ier = v & 0x0f;
        serial_update_irq(s);
        break;
    case REG_IIR_FCR: {
        bool was_fifo = serial_fifo_enabled(s);
        /* FCR bits other than FE are only written together with FE = 1. */
        uint8_t fcr = (v & FCR_FE) ? (v & (FCR_FE | FCR_DMA | FCR_TRIG)) : 0;
        if ((bool)(fcr & FCR_FE) != was_fifo || (v & FCR_RFR)) {
            serial_rx_clear(s);
        }
        /* TX FIFO clear (FCR_TFR): transmit is instant, the FIFO is always empty. */
        s->fcr = fcr;
        serial_restart_timeout(s);
        serial_update_irq(s);
        if (!(s->mcr & MCR_LOOP)) {
            chardev_accept_input(s->chr);
        }
        break;
    }
    case REG_LCR:
        s->lcr = v;
        break;
    case REG_MCR: {
        bool was_loop = s->mcr & MCR_LOOP;
        s->mcr = v & 0x1f;
        serial_update_msr(s);
        serial_update_irq(s);
        if (was_loop && !(s->mcr & MCR_LOOP)) {
            chardev_accept_input(s->chr);
        }
        break;
    }
    case REG_LSR:
    case REG_MSR:
        /* Factory test registers: writes are not meaningful. */
        log_mask(LOG_GUEST_ERROR, "isa-serial@0x%x: write 0x%02x to read-only reg %u\n",
                 s->iobase, v, (unsigned)offset);
        break;
    case REG_SCR:
        s->scr = v;
        break;
    }
}

static const MemoryOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- chardev frontend ---- */

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;
    /* In loopback the receiver input is disconnected from the line. */
    if (s->mcr & MCR_LOOP) {
        return 0;
    }
    return serial_rx_capacity(s) - s->rx_count;
}

static void serial_receive(void *opaque, const uint8_t *buf, int len)
{
    SerialState *s = opaque;
    for (int i = 0; i < len; i++) {
        serial_rx_byte(s, buf[i]);
    }
    serial_restart_timeout(s);
    serial_update_irq(s);
}

static void serial_event(void *opaque, ChardevEvent ev)
{
    SerialState *s = opaque;
    if (ev == CHR_EVENT_BREAK) {
        /* A break loads a zero character into the receiver with BI set. */
        serial_rx_byte(s, 0);
        s->lsr |= LSR_BI;
        if (serial_fifo_enabled(s)) {
            s->lsr |= LSR_RXFE;
        }
        serial_restart_timeout(s);
        serial_update_irq(s);
    }
}

/* ---- lifecycle ---- */

static void serial_reset(Device *dev)
{
    SerialState *s = (SerialState *)dev;
    s->divider = 0;
    s->ier = 0;
    s->fcr = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    s->scr = 0;
    s->thr_ipending = false;
    serial_rx_clear(s);
    serial_update_irq(s);
    chardev_accept_input(s->chr);
}

static bool serial_realize(Device *dev, Error **errp)
{
    SerialState *s = (SerialState *)dev;
    Machine *m = dev->machine;

    if (s->iobase > 0x10000 - SERIAL_NR_REGS) {
        error_setg(errp, "isa-serial: iobase=0x%x: outside the IO space", s->iobase);
        return false;
    }
    if (s->irq_num >= NUM_GSI) {
        error_setg(errp, "isa-serial: irq=%u: there are only %d interrupt lines",
                   s->irq_num, NUM_GSI);
        return false;
    }
    s->io = iomap_add(&m->io, "isa-serial", s->iobase, SERIAL_NR_REGS, &serial_ops, s,
                      errp);
    if (!s->io) {
        return false;
    }
    s->irq = m->gsi[s->irq_num];
    timer_init(&s->timeout_timer, &m->timers, serial_timeout, s);
    s->irq_level = 0;
    serial_reset(dev);
    if (s->chr) {
        chardev_set_frontend(s->chr, serial_can_receive, serial_receive, serial_event, s);
    }
    return true;
}

static void serial_unrealize(Device *dev)
{
    SerialState *s = (SerialState *)dev;
    if (s->chr) {
        chardev_set_frontend(s->chr, NULL, NULL, NULL, NULL);
    }
    timer_del(&s->timeout_timer);
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
}

static const Property serial_props[] = {
    { .name = "iobase", .type = PROP_U32, .offset = offsetof(SerialState, iobase),
      .def = 0x3f8, .desc = "first of the 8 IO ports" },
    { .name = "irq", .type = PROP_U32, .offset = offsetof(SerialState, irq_num),
      .def = 4, .desc = "ISA interrupt line" },
    { .name = "chardev", .type = PROP_CHARDEV, .offset = offsetof(SerialState, chr),
      .desc = "backend (-chardev id); none: output discarded" },
    PROP_END,
};

static const DeviceClass serial_class = {
    .name = "isa-serial",
    .desc = "16550A UART (PC COM port)",
    .bus = "isa",
    .instance_size = sizeof(SerialState),
    .user_creatable = true,
    .props = serial_props,
    .realize = serial_realize,
    .reset = serial_reset,
    .unrealize = serial_unrealize,
};

DEVICE_CLASS_REGISTER(serial_class)
