/*
 * i8042.c: "i8042", the PC/AT keyboard controller (an Intel 8042 running
 * IBM's firmware) with a PS/2 keyboard on its first port and a PS/2 mouse on
 * the auxiliary port. Facts from the IBM PC/AT Technical Reference ("Keyboard
 * controller"), the IBM PS/2 hardware interface technical reference (keyboard,
 * mouse and 8042 commands) and the 8042's set 2 -> set 1 translation.
 *
 *   port 0x60  data: read the output buffer; write a data byte (to the keyboard,
 *              or the argument of a pending controller command)
 *   port 0x64  read the status register; write a controller command
 *
 * The controller has a single output buffer byte. Keyboard and mouse have their
 * own queues (their internal buffers); the controller's own replies queue ahead
 * of them. When the output buffer is empty the next byte moves in: controller
 * replies first, then the keyboard (unless disabled in the command byte), then
 * the mouse. IRQ 1 follows "output buffer full with keyboard/controller data and
 * command byte bit 0"; IRQ 12 likewise for mouse data and bit 1.
 * Commands and data are handled at once, so the input buffer is never full.
 * docs/devices.md "i8042".
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "hw/input/i8042.h"
#include "system/machine.h"

/* Status register */
#define STAT_OBF        0x01    /* output buffer full */
#define STAT_IBF        0x02    /* input buffer full (never: we are instant) */
#define STAT_SYS        0x04    /* system flag: self test passed / command byte bit 2 */
#define STAT_A2         0x08    /* last write was a command (port 0x64) */
#define STAT_UNINHIBIT  0x10    /* keyboard inhibit switch: 1 = not inhibited */
#define STAT_MOBF       0x20    /* output buffer holds mouse data */

/* Command byte (controller RAM byte 0) */
#define CCB_KBD_INT     0x01
#define CCB_AUX_INT     0x02
#define CCB_SYS         0x04
#define CCB_KBD_DISABLE 0x10
#define CCB_AUX_DISABLE 0x20
#define CCB_XLAT        0x40

/* Output port */
#define OUT_RESET_N     0x01    /* 0 resets the CPU */
#define OUT_A20         0x02
#define OUT_KBD_OBF     0x10    /* wired to IRQ 1 */
#define OUT_AUX_OBF     0x20    /* wired to IRQ 12 */

#define CTRL_RAM_SIZE   32
#define QUEUE_MAX       64
#define KBD_QUEUE_SIZE  16      /* a PS/2 keyboard buffers 16 bytes */
#define AUX_QUEUE_SIZE  60      /* whole 3-byte packets */
#define CTRL_QUEUE_SIZE 8

typedef enum ByteSource {
    SRC_CTRL,       /* controller reply: delivered like keyboard data */
    SRC_KBD,
    SRC_AUX,
} ByteSource;

typedef struct ByteQueue {
    uint16_t buf[QUEUE_MAX];    /* byte | source << 8 */
    unsigned head;
    unsigned len;
    unsigned cap;
} ByteQueue;

typedef struct PS2Keyboard {
    ByteQueue q;
    bool scanning;
    uint8_t scan_set;
    uint8_t leds;
    uint8_t typematic;
    uint8_t pending_cmd;    /* ED, F0, F3: waiting for the argument */
    uint8_t last_sent;      /* for FE (resend) */
} PS2Keyboard;

typedef struct PS2Mouse {
    ByteQueue q;
    bool reporting;
    bool remote;
    bool wrap;
    bool scaling21;
    uint8_t resolution;
    uint8_t sample_rate;
    uint8_t pending_cmd;    /* E8, F3 */
    uint8_t buttons;        /* PS/2 packet order: bit 0 left, 1 right, 2 middle */
    int dx, dy;             /* motion not yet reported (remote mode) */
    uint8_t last_sent;
} PS2Mouse;

typedef struct I8042State {
    Device parent;
    uint32_t irq_kbd_num;
    uint32_t irq_aux_num;

    IRQLine *irq_kbd;
    IRQLine *irq_aux;
    IRQLine *a20_out;
    IoRegion *io_data;
    IoRegion *io_cmd;
    int irq_kbd_level;
    int irq_aux_level;

    uint8_t status;         /* SYS, A2, UNINHIBIT; OBF/MOBF derive from obuf */
    uint8_t ram[CTRL_RAM_SIZE];     /* ram[0] is the command byte */
    uint8_t outport;
    uint8_t pending_cmd;    /* controller command waiting for a data byte */
    uint8_t obuf;
    bool obf;
    ByteSource obuf_src;
    bool xlat_break;        /* translation saw F0: set bit 7 of the next code */
    ByteQueue ctrl_q;

    PS2Keyboard kbd;
    PS2Mouse mouse;
} I8042State;

/* ---- queues ---- */

static void queue_init(ByteQueue *q, unsigned cap)
{
    q->head = 0;
    q->len = 0;
    q->cap = MIN(cap, QUEUE_MAX);
}

static bool queue_push(ByteQueue *q, uint8_t b, ByteSource src)
{
    if (q->len >= q->cap) {
        return false;
    }
    q->buf[(q->head + q->len) % QUEUE_MAX] = b | (src << 8);
    q->len++;
    return true;
}

static uint16_t queue_pop(ByteQueue *q)
{
    uint16_t v = q->buf[q->head];
    q->head = (q->head + 1) % QUEUE_MAX;
    q->len--;
    return v;
}

/* ---- set 2 -> set 1 translation (command byte bit 6) ---- */

/* Set 2 make code -> set 1 make code for every key of the 102-key keyboard.
 * Codes not listed pass unchanged, as do bytes >= 0x80 (ACK, BAT, prefixes)
 * other than F7 (0x83) and Alt+SysRq (0x84). */
static const uint8_t xlat_set2_to_set1[0x85] = {
    [0x01] = 0x43, [0x03] = 0x3f, [0x04] = 0x3d, [0x05] = 0x3b, [0x06] = 0x3c,
    [0x07] = 0x58, [0x09] = 0x44, [0x0a] = 0x42, [0x0b] = 0x40, [0x0c] = 0x3e,
    [0x0d] = 0x0f, [0x0e] = 0x29, [0x11] = 0x38, [0x12] = 0x2a, [0x14] = 0x1d,
    [0x15] = 0x10, [0x16] = 0x02, [0x1a] = 0x2c, [0x1b] = 0x1f, [0x1c] = 0x1e,
    [0x1d] = 0x11, [0x1e] = 0x03, [0x21] = 0x2e, [0x22] = 0x2d, [0x23] = 0x20,
    [0x24] = 0x12, [0x25] = 0x05, [0x26] = 0x04, [0x29] = 0x39, [0x2a] = 0x2f,
    [0x2b] = 0x21, [0x2c] = 0x14, [0x2d] = 0x13, [0x2e] = 0x06, [0x31] = 0x31,
    [0x32] = 0x30, [0x33] = 0x23, [0x34] = 0x22, [0x35] = 0x15, [0x36] = 0x07,
    [0x3a] = 0x32, [0x3b] = 0x24, [0x3c] = 0x16, [0x3d] = 0x08, [0x3e] = 0x09,
    [0x41] = 0x33, [0x42] = 0x25, [0x43] = 0x17, [0x44] = 0x18, [0x45] = 0x0b,
    [0x46] = 0x0a, [0x49] = 0x34, [0x4a] = 0x35, [0x4b] = 0x26, [0x4c] = 0x27,
    [0x4d] = 0x19, [0x4e] = 0x0c, [0x52] = 0x28, [0x54] = 0x1a, [0x55] = 0x0d,
    [0x58] = 0x3a, [0x59] = 0x36, [0x5a] = 0x1c, [0x5b] = 0x1b, [0x5d] = 0x2b,
    [0x61] = 0x56, [0x66] = 0x0e, [0x69] = 0x4f, [0x6b] = 0x4b, [0x6c] = 0x47,
    [0x70] = 0x52, [0x71] = 0x53, [0x72] = 0x50, [0x73] = 0x4c, [0x74] = 0x4d,
    [0x75] = 0x48, [0x76] = 0x01, [0x77] = 0x45, [0x78] = 0x57, [0x79] = 0x4e,
    [0x7a] = 0x51, [0x7b] = 0x4a, [0x7c] = 0x37, [0x7d] = 0x49, [0x7e] = 0x46,
    [0x83] = 0x41, [0x84] = 0x54,
};

/* Translate one keyboard byte; false if it was swallowed (the F0 prefix). */
static bool i8042_translate(I8042State *s, uint8_t in, uint8_t *out)
{
    if (in == 0xf0) {
        s->xlat_break = true;
        return false;
    }
    uint8_t code = in;
    if (in < ARRAY_SIZE(xlat_set2_to_set1) && xlat_set2_to_set1[in]) {
        code = xlat_set2_to_set1[in];
    }
    if (in < 0x80 || in == 0x83 || in == 0x84) {
        if (s->xlat_break) {
            code |= 0x80;
        }
        s->xlat_break = false;
    }
    *out = code;
    return true;
}

/* ---- output buffer and interrupts ---- */

static void i8042_update_irq(I8042State *s)
{
    uint8_t ccb = s->ram[0];
    int kbd = s->obf && s->obuf_src != SRC_AUX && (ccb & CCB_KBD_INT);
    int aux = s->obf && s->obuf_src == SRC_AUX && (ccb & CCB_AUX_INT);
    if (kbd != s->irq_kbd_level) {
        s->irq_kbd_level = kbd;
        irq_set(s->irq_kbd, kbd);
    }
    if (aux != s->irq_aux_level) {
        s->irq_aux_level = aux;
        irq_set(s->irq_aux, aux);
    }
}

/* Move the next byte into an empty output buffer. */
static void i8042_refill(I8042State *s)
{
    while (!s->obf) {
        uint16_t v;
        if (s->ctrl_q.len) {
            v = queue_pop(&s->ctrl_q);
        } else if (s->kbd.q.len && !(s->ram[0] & CCB_KBD_DISABLE)) {
            v = queue_pop(&s->kbd.q);
            uint8_t out;
            if ((s->ram[0] & CCB_XLAT) && (v >> 8) == SRC_KBD) {
                if (!i8042_translate(s, v & 0xff, &out)) {
                    continue;
                }
                v = out | (SRC_KBD << 8);
            }
        } else if (s->mouse.q.len && !(s->ram[0] & CCB_AUX_DISABLE)) {
            v = queue_pop(&s->mouse.q);
        } else {
            break;
        }
        s->obuf = v & 0xff;
        s->obuf_src = v >> 8;
        s->obf = true;
    }
    i8042_update_irq(s);
}

static void i8042_ctrl_reply(I8042State *s, uint8_t b, ByteSource src)
{
    if (!queue_push(&s->ctrl_q, b, src)) {
        log_mask(LOG_GUEST_ERROR, "i8042: controller replies not read, 0x%02x lost\n", b);
    }
}

/* ---- PS/2 keyboard ---- */

static void kbd_send(I8042State *s, uint8_t b)
{
    if (!queue_push(&s->kbd.q, b, SRC_KBD)) {
        log_mask(LOG_GUEST_ERROR, "i8042: keyboard buffer full, 0x%02x lost\n", b);
        return;
    }
    s->kbd.last_sent = b;
}

static void kbd_set_defaults(PS2Keyboard *k)
{
    k->scan_set = 2;
    k->leds = 0;
    k->typematic = 0x2b;    /* 10.9 characters/s, 500 ms delay */
    k->pending_cmd = 0;
}

static void kbd_reset(PS2Keyboard *k)
{
    queue_init(&k->q, KBD_QUEUE_SIZE);
    kbd_set_defaults(k);
    k->scanning = true;
    k->last_sent = 0;
}

/* A byte the host sent to the keyboard (PS/2 keyboard command set). */
static void kbd_write(I8042State *s, uint8_t b)
{
    PS2Keyboard *k = &s->kbd;

    /* Arguments never have bit 7 set: such a byte is a new command instead. */
    if (k->pending_cmd && !(b & 0x80)) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        switch (cmd) {
        case 0xed:
            k->leds = b & 0x07;
            kbd_send(s, 0xfa);
            break;
        case 0xf3:
            k->typematic = b & 0x7f;
            kbd_send(s, 0xfa);
            break;
        case 0xf0:
            if (b == 0) {
                kbd_send(s, 0xfa);
                kbd_send(s, k->scan_set);
            } else if (b <= 3) {
                k->scan_set = b;
                kbd_send(s, 0xfa);
            } else {
                kbd_send(s, 0xfe);
            }
            break;
        }
        return;
    }
    k->pending_cmd = 0;
    switch (b) {
    case 0xed:      /* set LEDs */
    case 0xf0:      /* get/set scan code set */
    case 0xf3:      /* set typematic rate/delay */
        k->pending_cmd = b;
        kbd_send(s, 0xfa);
        break;
    case 0xee:      /* echo */
        kbd_send(s, 0xee);
        break;
    case 0xf2:      /* identify: MF2 keyboard */
        kbd_send(s, 0xfa);
        kbd_send(s, 0xab);
        kbd_send(s, 0x83);
        break;
    case 0xf4:      /* enable scanning */
        k->scanning = true;
        kbd_send(s, 0xfa);
        break;
    case 0xf5:      /* disable scanning and restore defaults */
        kbd_set_defaults(k);
        k->scanning = false;
        kbd_send(s, 0xfa);
        break;
    case 0xf6:      /* restore defaults */
        kbd_set_defaults(k);
        kbd_send(s, 0xfa);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa:
    case 0xfb: case 0xfc: case 0xfd:
        /* Scan set 3 key attributes: accepted, not modelled. */
        kbd_send(s, 0xfa);
        break;
    case 0xfe:      /* resend */
        kbd_send(s, k->last_sent);
        break;
    case 0xff:      /* reset and self test (BAT) */
        kbd_reset(k);
        kbd_send(s, 0xfa);
        kbd_send(s, 0xaa);
        break;
    default:
        log_mask(LOG_GUEST_ERROR, "i8042: unknown keyboard command 0x%02x\n", b);
        kbd_send(s, 0xfe);
        break;
    }
}

/* ---- PS/2 mouse ---- */

static void mouse_send(I8042State *s, uint8_t b)
{
    if (!queue_push(&s->mouse.q, b, SRC_AUX)) {
        log_mask(LOG_GUEST_ERROR, "i8042: mouse buffer full, 0x%02x lost\n", b);
        return;
    }
    s->mouse.last_sent = b;
}

static void mouse_set_defaults(PS2Mouse *ms)
{
    ms->reporting = false;
    ms->remote = false;
    ms->scaling21 = false;
    ms->resolution = 2;     /* 4 counts/mm */
    ms->sample_rate = 100;
    ms->pending_cmd = 0;
    ms->dx = 0;
    ms->dy = 0;
}

static void mouse_reset(PS2Mouse *ms)
{
    queue_init(&ms->q, AUX_QUEUE_SIZE);
    mouse_set_defaults(ms);
    ms->wrap = false;
    ms->buttons = 0;
    ms->last_sent = 0;
}

static bool mouse_send_packet(I8042State *s)
{
    PS2Mouse *ms = &s->mouse;
    if (ms->q.cap - ms->q.len < 3) {
        return false;
    }
    int dx = CLAMP(ms->dx, -256, 255);
    int dy = CLAMP(ms->dy, -256, 255);
    uint8_t b0 = 0x08 | (ms->buttons & 0x07);
    b0 |= dx < 0 ? 0x10 : 0;
    b0 |= dy < 0 ? 0x20 : 0;
    b0 |= dx != ms->dx ? 0x40 : 0;
    b0 |= dy != ms->dy ? 0x80 : 0;
    mouse_send(s, b0);
    mouse_send(s, (uint8_t)dx);
    mouse_send(s, (uint8_t)dy);
    ms->dx = 0;
    ms->dy = 0;
    return true;
}

/* A byte the host sent to the mouse (PS/2 mouse command set). */
static void mouse_write(I8042State *s, uint8_t b)
{
    PS2Mouse *ms = &s->mouse;

    if (ms->pending_cmd) {
        uint8_t cmd = ms->pending_cmd;
        ms->pending_cmd = 0;
        if (cmd == 0xe8) {
            ms->resolution = b & 0x03;
        } else {
            ms->sample_rate = b;
        }
        mouse_send(s, 0xfa);
        return;
    }
    /* Wrap (echo) mode: everything comes back except reset and leave-wrap. */
    if (ms->wrap && b != 0xec && b != 0xff) {
        mouse_send(s, b);
        return;
    }
    switch (b) {
    case 0xe6:
        ms->scaling21 = false;
        mouse_send(s, 0xfa);
        break;
    case 0xe7:
        ms->scaling21 = true;
        mouse_send(s, 0xfa);
        break;
    case 0xe8:      /* set resolution */
    case 0xf3:      /* set sample rate */
        ms->pending_cmd = b;
        mouse_send(s, 0xfa);
        break;
    case 0xe9: {    /* status request */
        /* Status byte order: bit 2 left, bit 1 middle, bit 0 right. */
        uint8_t btn = ((ms->buttons & 1) << 2) | ((ms->buttons & 4) >> 1) |
                      ((ms->buttons & 2) >> 1);
        mouse_send(s, 0xfa);
        mouse_send(s, (ms->remote ? 0x40 : 0) | (ms->reporting ? 0x20 : 0) |
                      (ms->scaling21 ? 0x10 : 0) | btn);
        mouse_send(s, ms->resolution);
        mouse_send(s, ms->sample_rate);
        break;
    }
    case 0xea:
        ms->remote = false;
        mouse_send(s, 0xfa);
        break;
    case 0xeb:      /* read data (remote mode) */
        mouse_send(s, 0xfa);
        mouse_send_packet(s);
        break;
    case 0xec:
        ms->wrap = false;
        mouse_send(s, 0xfa);
        break;
    case 0xee:
        ms->wrap = true;
        mouse_send(s, 0xfa);
        break;
    case 0xf0:
        ms->remote = true;
        mouse_send(s, 0xfa);
        break;
    case 0xf2:      /* get device ID: standard PS/2 mouse */
        mouse_send(s, 0xfa);
        mouse_send(s, 0x00);
        break;
    case 0xf4:
        ms->reporting = true;
        mouse_send(s, 0xfa);
        break;
    case 0xf5:
        ms->reporting = false;
        mouse_send(s, 0xfa);
        break;
    case 0xf6:
        mouse_set_defaults(ms);
        mouse_send(s, 0xfa);
        break;
    case 0xfe:
        mouse_send(s, ms->last_sent);
        break;
    case 0xff:      /* reset: ACK, BAT passed, device ID */
        mouse_reset(ms);
        mouse_send(s, 0xfa);
        mouse_send(s, 0xaa);
        mouse_send(s, 0x00);
        break;
    default:
        log_mask(LOG_GUEST_ERROR, "i8042: unknown mouse command 0x%02x\n", b);
        mouse_send(s, 0xfe);
        break;
    }
}

/* ---- controller ---- */

static void i8042_set_outport(I8042State *s, uint8_t val)
{
    uint8_t old = s->outport;
    s->outport = val & ~(OUT_KBD_OBF | OUT_AUX_OBF);
    if ((old ^ s->outport) & OUT_A20) {
        log_mask(LOG_RESET, "i8042: A20 %s\n", s->outport & OUT_A20 ? "on" : "off");
        irq_set(s->a20_out, !!(s->outport & OUT_A20));
    }
    if (!(s->outport & OUT_RESET_N)) {
        log_mask(LOG_RESET, "i8042: reset through the output port\n");
        /* The line is released by the reset itself (device reset sets it). */
        machine_request_guest_reset(s->parent.machine);
    }
}

static uint8_t i8042_read_outport(I8042State *s)
{
    uint8_t v = s->outport;
    if (s->obf) {
        v |= s->obuf_src == SRC_AUX ? OUT_AUX_OBF : OUT_KBD_OBF;
    }
    return v;
}

static void i8042_write_ccb(I8042State *s, uint8_t val)
{
    s->ram[0] = val;
    s->status = (s->status & ~STAT_SYS) | (val & CCB_SYS ? STAT_SYS : 0);
}

static void i8042_command(I8042State *s, uint8_t cmd)
{
    s->status |= STAT_A2;
    s->pending_cmd = 0;

    if (cmd >= 0x20 && cmd <= 0x3f) {           /* read controller RAM */
        i8042_ctrl_reply(s, s->ram[cmd & 0x1f], SRC_CTRL);
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
        s->pending_cmd = cmd;                   /* wait for the data byte */
        return;
    }
    if (cmd >= 0xf0) {
        /* Pulse output port bits 0-3 whose command bit is 0, for 6 us. Only
         * bit 0 (CPU reset) is wired to anything. */
        if (!(cmd & OUT_RESET_N)) {
            log_mask(LOG_RESET, "i8042: reset pulse (0x%02x)\n", cmd);
            machine_request_guest_reset(s->parent.machine);
        }
        return;
    }
    switch (cmd) {
    case 0xa4:      /* password installed? no */
        i8042_ctrl_reply(s, 0xf1, SRC_CTRL);
        break;
    case 0xa7:
        s->ram[0] |= CCB_AUX_DISABLE;
        break;
    case 0xa8:
        s->ram[0] &= ~CCB_AUX_DISABLE;
        break;
    case 0xa9:      /* aux interface test: no error */
    case 0xab:      /* keyboard interface test: no error */
        i8042_ctrl_reply(s, 0x00, SRC_CTRL);
        break;
    case 0xaa:      /* controller self test: passed */
        s->status |= STAT_SYS;
        i8042_ctrl_reply(s, 0x55, SRC_CTRL);
        break;
    case 0xad:
        s->ram[0] |= CCB_KBD_DISABLE;
        break;
    case 0xae:
        s->ram[0] &= ~CCB_KBD_DISABLE;
        break;
    case 0xc0:      /* input port: keyboard not inhibited */
        i8042_ctrl_reply(s, 0x80, SRC_CTRL);
        break;
    case 0xd0:
        i8042_ctrl_reply(s, i8042_read_outport(s), SRC_CTRL);
        break;
    case 0xdd:      /* A20 off / on (controllers of many chipsets) */
        i8042_set_outport(s, s->outport & ~OUT_A20);
        break;
    case 0xdf:
        i8042_set_outport(s, s->outport | OUT_A20);
        break;
    case 0xe0:      /* test inputs: clock and data low */
        i8042_ctrl_reply(s, 0x00, SRC_CTRL);
        break;
    default:
        log_mask(LOG_GUEST_ERROR, "i8042: unknown controller command 0x%02x\n", cmd);
        break;
    }
}

static void i8042_write_data(I8042State *s, uint8_t val)
{
    uint8_t cmd = s->pending_cmd;
    s->status &= ~STAT_A2;
    s->pending_cmd = 0;

    if (cmd >= 0x60 && cmd <= 0x7f) {
        if (cmd == 0x60) {
            i8042_write_ccb(s, val);
        } else {
            s->ram[cmd & 0x1f] = val;
        }
        return;
    }
    switch (cmd) {
    case 0xd1:
        i8042_set_outport(s, val);
        break;
    case 0xd2:      /* as if the keyboard had sent it (not translated) */
        i8042_ctrl_reply(s, val, SRC_KBD);
        break;
    case 0xd3:      /* as if the mouse had sent it */
        i8042_ctrl_reply(s, val, SRC_AUX);
        break;
    case 0xd4:
        mouse_write(s, val);
        break;
    default:
        kbd_write(s, val);
        break;
    }
}

static uint64_t i8042_data_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042State *s = opaque;
    uint8_t v = s->obuf;    /* an empty buffer reads as the last byte */
    if (s->obf) {
        s->obf = false;
        /* Lower the line before the next byte raises it: a new edge. */
        i8042_update_irq(s);
        i8042_refill(s);
    }
    return v;
}

static void i8042_data_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042State *s = opaque;
    i8042_write_data(s, (uint8_t)value);
    i8042_refill(s);
}

static uint64_t i8042_cmd_read(void *opaque, uint64_t offset, unsigned size)
{
    I8042State *s = opaque;
    uint8_t st = s->status & (STAT_SYS | STAT_A2 | STAT_UNINHIBIT);
    if (s->obf) {
        st |= STAT_OBF | (s->obuf_src == SRC_AUX ? STAT_MOBF : 0);
    }
    return st;
}

static void i8042_cmd_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    I8042State *s = opaque;
    i8042_command(s, (uint8_t)value);
    i8042_refill(s);
}

static const MemoryOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_write,
    .min_access = 1,
    .max_access = 1,
};

static const MemoryOps i8042_cmd_ops = {
    .read = i8042_cmd_read,
    .write = i8042_cmd_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- board and UI API ---- */

static I8042State *i8042_from_dev(Device *dev)
{
    g_assert(dev && !strcmp(dev->cls->name, "i8042"));
    return (I8042State *)dev;
}

void i8042_put_keycode(Device *dev, uint8_t scancode)
{
    I8042State *s = i8042_from_dev(dev);
    if (!s->kbd.scanning) {
        return;
    }
    kbd_send(s, scancode);
    i8042_refill(s);
}

void i8042_put_mouse_event(Device *dev, int dx, int dy, unsigned buttons)
{
    I8042State *s = i8042_from_dev(dev);
    PS2Mouse *ms = &s->mouse;
    /* Accumulate with saturation so a flood of events cannot overflow. */
    ms->dx = CLAMP(ms->dx + CLAMP(dx, -4096, 4096), -4096, 4096);
    ms->dy = CLAMP(ms->dy + CLAMP(dy, -4096, 4096), -4096, 4096);
    ms->buttons = buttons & 0x07;
    if (ms->reporting && !ms->remote && !ms->wrap) {
        mouse_send_packet(s);
        i8042_refill(s);
    }
}

void i8042_set_a20_line(Device *dev, IRQLine *line)
{
    I8042State *s = i8042_from_dev(dev);
    s->a20_out = line;
    irq_set(s->a20_out, !!(s->outport & OUT_A20));
}

bool i8042_get_a20(Device *dev)
{
    return i8042_from_dev(dev)->outport & OUT_A20;
}

/* ---- lifecycle ---- */

static void i8042_reset(Device *dev)
{
    I8042State *s = (I8042State *)dev;
    memset(s->ram, 0, sizeof(s->ram));
    s->ram[0] = CCB_KBD_INT | CCB_AUX_INT;
    s->status = STAT_UNINHIBIT;
    s->pending_cmd = 0;
    s->obuf = 0;
    s->obf = false;
    s->obuf_src = SRC_CTRL;
    s->xlat_break = false;
    queue_init(&s->ctrl_q, CTRL_QUEUE_SIZE);
    kbd_reset(&s->kbd);
    mouse_reset(&s->mouse);
    /* Reset line released, A20 enabled, keyboard clock and data idle high. */
    s->outport = 0xc0 | OUT_A20 | OUT_RESET_N;
    irq_set(s->a20_out, 1);
    i8042_update_irq(s);
}

static bool i8042_realize(Device *dev, Error **errp)
{
    I8042State *s = (I8042State *)dev;
    Machine *m = dev->machine;

    if (s->irq_kbd_num >= NUM_GSI || s->irq_aux_num >= NUM_GSI) {
        error_setg(errp, "i8042: irq=%u, irq-aux=%u: must be below %d", s->irq_kbd_num,
                   s->irq_aux_num, NUM_GSI);
        return false;
    }
    s->io_data = iomap_add(&m->io, "i8042-data", 0x60, 1, &i8042_data_ops, s, errp);
    if (!s->io_data) {
        return false;
    }
    s->io_cmd = iomap_add(&m->io, "i8042-cmd", 0x64, 1, &i8042_cmd_ops, s, errp);
    if (!s->io_cmd) {
        iomap_del(&m->io, s->io_data);
        s->io_data = NULL;
        return false;
    }
    s->irq_kbd = m->gsi[s->irq_kbd_num];
    s->irq_aux = m->gsi[s->irq_aux_num];
    i8042_reset(dev);
    return true;
}

static void i8042_unrealize(Device *dev)
{
    I8042State *s = (I8042State *)dev;
    if (s->io_data) {
        iomap_del(&dev->machine->io, s->io_data);
        s->io_data = NULL;
    }
    if (s->io_cmd) {
        iomap_del(&dev->machine->io, s->io_cmd);
        s->io_cmd = NULL;
    }
}

static const Property i8042_props[] = {
    { .name = "irq", .type = PROP_U32, .offset = offsetof(I8042State, irq_kbd_num),
      .def = 1, .desc = "keyboard interrupt line (GSI)" },
    { .name = "irq-aux", .type = PROP_U32, .offset = offsetof(I8042State, irq_aux_num),
      .def = 12, .desc = "mouse (aux port) interrupt line (GSI)" },
    PROP_END,
};

static const DeviceClass i8042_class = {
    .name = "i8042",
    .desc = "8042 keyboard controller with PS/2 keyboard and mouse",
    .bus = "isa",
    .instance_size = sizeof(I8042State),
    .user_creatable = false,
    .props = i8042_props,
    .realize = i8042_realize,
    .reset = i8042_reset,
    .unrealize = i8042_unrealize,
};

DEVICE_CLASS_REGISTER(i8042_class)
