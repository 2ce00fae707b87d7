/*
 * pc.c: the PC board wiring. RAM is laid out by machine_new(); here the
 * firmware ROM, the legacy VGA window, and the on-board ISA devices get their
 * ports and IRQ lines. Every address and IRQ number of the board is in this file.
 *
 *   device              ports          ISA IRQ
 *   i8042 (keyboard)    0x60, 0x64     1, 12
 *   RTC/CMOS            0x70-0x71      8
 *   POST port           0x80
 *   System Control A    0x92
 *   Reset Control       0xcf9
 *   COM1..COM4          0x3f8 0x2f8 0x3e8 0x2e8   4 3 4 3
 *   8259A pair (*)      0x20-0x21, 0xa0-0xa1, ELCR 0x4d0-0x4d1; INTR to CPU 0
 *   8254 PIT (*)        0x40-0x43, 0x61 (channel 2 gate/speaker)   0
 *
 * (*) userspace models under -accel tcg and qtest only: under KVM the kernel's
 * irqchip models them.
 */
#include "util/osdep.h"
#include "hw/pc/pc.h"
#include "hw/device.h"
#include "chardev/char.h"
#include "hw/timer/mc146818rtc.h"
#include "hw/intc/i8259.h"
#include "system/accel.h"

#define PC_BIOS_MAX   (16 * MiB)
#define ISA_BIOS_SIZE (128 * KiB)

static const struct {
    uint16_t iobase;
    uint8_t irq;
} pc_serial_ports[MAX_SERIAL] = {
    { 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
};

/* A board device: properties as "key=value" pairs, NULL-terminated. */
static Device *pc_create(Machine *m, const char *type, const char *const *props,
                         Error **errp)
{
    Device *dev = device_new(m, type, errp);
    if (!dev) {
        return NULL;
    }
    for (const char *const *p = props; p && *p; p += 2) {
        if (!device_set_prop(dev, p[0], p[1], errp)) {
            device_destroy(dev);
            return NULL;
        }
    }
    if (!device_realize(dev, errp)) {
        device_destroy(dev);
        return NULL;
    }
    return dev;
}

static bool pc_load_bios(Machine *m, const char *path, Error **errp)
{
    gchar *data;
    gsize len;
    GError *gerr = NULL;

    if (!g_file_get_contents(path, &data, &len, &gerr)) {
        error_setg(errp, "-bios %s: %s", path, gerr->message);
        g_error_free(gerr);
        return false;
    }
    if (len == 0 || len > PC_BIOS_MAX || (len & 0xfff)) {
        error_setg(errp, "-bios %s: a firmware image must be a non-empty multiple of 4 KiB "
                   "up to 16 MiB (this one is %zu bytes)", path, len);
        g_free(data);
        return false;
    }
    /* The ROM sits just below 4 GiB (the reset vector is at 0xfffffff0); its last
     * 128 KiB also appear at 0xe0000-0xfffff, where real-mode code expects them. */
    /* Page-aligned host memory, so an accelerator can map it directly. */
    m->bios = ram_block_new("pc.bios", len, errp);
    if (!m->bios) {
        g_free(data);
        return false;
    }
    uint8_t *rom = m->bios->host;
    memcpy(rom, data, len);
    g_free(data);
    memmap_add_rom(&m->mem, "pc.bios", 4 * GiB - len, len, rom, 10);
    uint64_t isa_len = len < ISA_BIOS_SIZE ? len : ISA_BIOS_SIZE;
    memmap_add_rom(&m->mem, "isa-bios", 1 * MiB - isa_len, isa_len, rom + len - isa_len, 10);
    return true;
}

/* Memory size in CMOS, where firmware and old OSes read it (RAM-size fallback
 * for SeaBIOS: 0x34/0x35 in 64 KiB units above 16 MiB, 0x5b-0x5d above 4 GiB). */
static void pc_cmos_init(Machine *m, Device *rtc)
{
    uint64_t base_kb = 640;
    uint64_t ext_kb = m->below_4g_mem > MiB ? (m->below_4g_mem - MiB) / KiB : 0;
    if (ext_kb > 0xfc00) {
        ext_kb = 0xfc00;
    }
    rtc_set_cmos(rtc, 0x15, base_kb & 0xff);
    rtc_set_cmos(rtc, 0x16, base_kb >> 8);
    rtc_set_cmos(rtc, 0x17, ext_kb & 0xff);
    rtc_set_cmos(rtc, 0x18, ext_kb >> 8);
    rtc_set_cmos(rtc, 0x30, ext_kb & 0xff);
    rtc_set_cmos(rtc, 0x31, ext_kb >> 8);
    uint64_t above16 = m->below_4g_mem > 16 * MiB ? (m->below_4g_mem - 16 * MiB) / (64 * KiB)
                                                  : 0;
    if (above16 > 0xffff) {
        above16 = 0xffff;
    }
    rtc_set_cmos(rtc, 0x34, above16 & 0xff);
    rtc_set_cmos(rtc, 0x35, above16 >> 8);
    uint64_t above4g = m->above_4g_mem / (64 * KiB);
    rtc_set_cmos(rtc, 0x5b, above4g & 0xff);
    rtc_set_cmos(rtc, 0x5c, (above4g >> 8) & 0xff);
    rtc_set_cmos(rtc, 0x5d, (above4g >> 16) & 0xff);
    rtc_set_cmos(rtc, 0x5f, m->cfg.smp - 1);
}

/* INTA cycle for the translator's loop (accel/tcg never names the PIC). */
static int pc_intack(void *opaque)
{
    return pic_intack(opaque);
}

/* The PIC's INTR pin, wired to CPU 0's INTR input. Called under the machine lock
 * (every device runs under it). The vCPUs do not exist yet at board time, so the
 * CPU is looked up when the pin moves. */
static void pc_intr_handler(void *opaque, int n, int level)
{
    Device *pic = opaque;
    Machine *m = pic->machine;
    if (m->ncpus < 1 || !m->cpus[0]) {
        return;
    }
    CPUState *cpu = m->cpus[0];
    cpu->env.intack = pc_intack;
    cpu->env.intack_opaque = pic;
    cpu->env.intr_pending = level;
    if (level) {
        cpu->exit_request = 1;
        if (m->accel && m->accel->cpu_kick) {
            m->accel->cpu_kick(cpu);
        }
    }
}

/* Userspace interrupt controller and timer: whenever the accelerator does not
 * bring its own (KVM's in-kernel irqchip). */
static bool pc_userspace_irqchip(Machine *m)
{
    return m->cfg.accel && (!strcmp(m->cfg.accel, "tcg") || !strcmp(m->cfg.accel, "qtest"));
}

bool pc_machine_init(Machine *m, Error **errp)
{
    if (m->cfg.bios && !pc_load_bios(m, m->cfg.bios, errp)) {
        return false;
    }
    /* The legacy VGA window 0xa0000-0xbffff is never RAM on a PC. Until a VGA
     * model claims it, it reads as all ones and drops writes. */
    static const MemoryOps unassigned_ops = { .min_access = 1, .max_access = 8 };
    memmap_add_mmio(&m->mem, "vga-window", 0xa0000, 0x20000, &unassigned_ops, NULL, 1);

    static const char *const no_props[] = { NULL };
    if (pc_userspace_irqchip(m)) {
        Device *pic = pc_create(m, "isa-pic", no_props, errp);
        if (!pic) {
            return false;
        }
        pic_connect_gsi(pic);
        pic_connect_intr(pic, pc_intr_handler, pic);
        if (!pc_create(m, "isa-pit", no_props, errp)) {
            return false;
        }
    }
    if (!pc_create(m, "i8042", no_props, errp)) {
        return false;
    }
    Device *rtc = pc_create(m, "mc146818rtc", no_props, errp);
    if (!rtc || !pc_create(m, "port80", no_props, errp) ||
        !pc_create(m, "port92", no_props, errp) ||
        !pc_create(m, "pc-reset-control", no_props, errp)) {
        return false;
    }
    pc_cmos_init(m, rtc);

    for (int i = 0; i < MAX_SERIAL; i++) {
        if (!m->serial_chr[i]) {
            continue;
        }
        char iobase[16], irq[8];
        snprintf(iobase, sizeof(iobase), "0x%x", pc_serial_ports[i].iobase);
        snprintf(irq, sizeof(irq), "%u", pc_serial_ports[i].irq);
        const char *props[] = {
            "iobase", iobase, "irq", irq, "chardev", m->serial_chr[i]->id, NULL,
        };
        if (!pc_create(m, "isa-serial", props, errp)) {
            return false;
        }
    }
    return true;
}
