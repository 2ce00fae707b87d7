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
 *   8259A pair (*)      0x20-0x21, 0xa0-0xa1, ELCR 0x4d0-0x4d1; INTR to LINT0
 *   8254 PIT (*)        0x40-0x43, 0x61 (channel 2 gate/speaker)   0
 *   IOAPIC (*)          MMIO 0xfec00000, ID 0; ISA IRQ n -> pin n, IRQ 0 -> pin 2,
 *                       8259A INTR -> pin 0 (ExtINT)
 *   local APICs (*)     MMIO 0xfee00000 (per CPU), APIC ID = CPU index; the BSP's
 *                       in virtual-wire mode (LINT0 ExtINT, LINT1 NMI)
 *   HPET (*)            MMIO 0xfed00000; IOAPIC pins 20-23, legacy IRQ 0 / 8
 *
 * (*) userspace models under -accel tcg, qtest and KVM with kernel-irqchip=off:
 * otherwise the kernel's irqchip models them (and there is no HPET yet).
 */
#include "util/osdep.h"
#include "hw/pc/pc.h"
#include "hw/device.h"
#include "chardev/char.h"
#include "hw/timer/mc146818rtc.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "hw/pc/mptable.h"
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

/*
 * The interrupt wiring of the userspace models (SDM Vol 3 ch. 10; MP spec 1.4
 * §3.6 "virtual wire" mode), as a board-private device so it lives and dies
 * with the machine:
 *   ISA IRQ n      -> 8259A input n and IOAPIC pin n (IRQ 0 -> pin 2, as the
 *                     MP table declares with an interrupt-source override)
 *   8259A INTR     -> LINT0 of every local APIC and IOAPIC pin 0 (ExtINT);
 *                     the BSP's LINT0 starts in ExtINT mode (virtual wire)
 *   LAPIC n INTR   -> CPU n (env.intr_pending / env.intack)
 *   ICR messages, IOAPIC messages -> apic_bus_deliver over all local APICs
 *   level EOI      -> ioapic_eoi
 * The vCPUs do not exist yet at board time, so CPUs are looked up when a line
 * moves; everything here runs under the machine lock.
 */
typedef struct PCIrqWiring PCIrqWiring;

typedef struct PCCpuLink {
    PCIrqWiring *w;
    unsigned index;
} PCCpuLink;

struct PCIrqWiring {
    Device dev;
    Device *pic;
    Device *ioapic;
    Device *lapic[MAX_CPUS];
    unsigned nlapic;
    PCCpuLink link[MAX_CPUS];
    IRQLine *cpu_intr[MAX_CPUS];
    IRQLine *pic_intr;
    uint8_t ioapic_id;
};

#define PC_IRQ0_IOAPIC_PIN 2

static CPUState *pc_cpu(PCIrqWiring *w, unsigned index)
{
    Machine *m = w->dev.machine;
    return index < (unsigned)m->ncpus ? m->cpus[index] : NULL;
}

static void pc_kick(Machine *m, CPUState *cpu)
{
    cpu->exit_request = 1;
    if (m->accel && m->accel->cpu_kick) {
        m->accel->cpu_kick(cpu);
    }
}

/* INTA cycle for the accelerator's loop (accel/tcg never names the PIC or
 * APIC): the local APIC's vector, or the 8259A's for an ExtINT. */
static int pc_intack(void *opaque)
{
    PCCpuLink *l = opaque;
    PCIrqWiring *w = l->w;
    Device *lapic = w->lapic[l->index];
    int v = lapic ? lapic_intack(lapic) : LAPIC_INTACK_EXTINT;
    if (v == LAPIC_INTACK_EXTINT) {
        return w->pic ? pic_intack(w->pic) : -1;
    }
    return v < 0 ? -1 : v;
}

/* Local APIC n's INTR output: CPU n's INTR input. */
static void pc_cpu_intr(void *opaque, int n, int level)
{
    PCIrqWiring *w = opaque;
    CPUState *cpu = pc_cpu(w, (unsigned)n);
    if (!cpu) {
        return;
    }
    cpu->env.intack = pc_intack;
    cpu->env.intack_opaque = &w->link[n];
    cpu->env.intr_pending = level;
    if (level) {
        pc_kick(w->dev.machine, cpu);
    }
}

/* 8259A INTR: LINT0 of every local APIC, and IOAPIC pin 0. */
static void pc_pic_intr(void *opaque, int n, int level)
{
    PCIrqWiring *w = opaque;
    (void)n;
    for (unsigned i = 0; i < w->nlapic; i++) {
        lapic_set_lint(w->lapic[i], 0, level);
    }
    if (w->ioapic) {
        ioapic_set_irq(w->ioapic, 0, level);
    }
}

/* An ISA/GSI line: the 8259A sees IRQ 0-15, the IOAPIC every line. */
static void pc_gsi(void *opaque, int n, int level)
{
    PCIrqWiring *w = opaque;
    if (n < PIC_NUM_IRQS && w->pic) {
        pic_set_irq(w->pic, n, level);
    }
    if (w->ioapic && n != 2) {
        ioapic_set_irq(w->ioapic, n == 0 ? PC_IRQ0_IOAPIC_PIN : (unsigned)n, level);
    }
}

static void pc_lapic_init(void *opaque)
{
    PCCpuLink *l = opaque;
    CPUState *cpu = pc_cpu(l->w, l->index);
    if (cpu) {
        cpu->init_pending = true;
        cpu->sipi_pending = false;
        pc_kick(l->w->dev.machine, cpu);
    }
}

static void pc_lapic_sipi(void *opaque, uint8_t vector)
{
    PCCpuLink *l = opaque;
    CPUState *cpu = pc_cpu(l->w, l->index);
    /* A start-up IPI only starts a CPU that waits for one (SDM Vol 3 §9.4.4.1:
     * the second SIPI of the universal algorithm is ignored by a running AP). */
    if (cpu && (cpu->wait_sipi || cpu->init_pending) && !cpu->sipi_pending) {
        cpu->sipi_pending = true;
        cpu->sipi_vector = vector;
        pc_kick(l->w->dev.machine, cpu);
    }
}

static void pc_lapic_nmi(void *opaque)
{
    PCCpuLink *l = opaque;
    CPUState *cpu = pc_cpu(l->w, l->index);
    if (cpu) {
        cpu->env.nmi_pending = true;
        pc_kick(l->w->dev.machine, cpu);
    }
}

/* The TSC the CPU's RDTSC returns (target-x86/cpu.h x86_tsc_at). */
static uint64_t pc_lapic_tsc(void *opaque)
{
    PCCpuLink *l = opaque;
    Machine *m = l->w->dev.machine;
    CPUState *cpu = pc_cpu(l->w, l->index);
    int64_t now = clock_ns(&m->timers.clock);
    return cpu ? x86_tsc_at(&cpu->env, now) : (uint64_t)now * (X86_TSC_KHZ / 1000000u);
}

static void pc_apic_send(void *opaque, Device *src, const LAPICMessage *msg)
{
    PCIrqWiring *w = opaque;
    apic_bus_deliver(w->lapic, w->nlapic, src, msg);
}

static void pc_apic_eoi(void *opaque, uint8_t vector)
{
    PCIrqWiring *w = opaque;
    if (w->ioapic) {
        ioapic_eoi(w->ioapic, vector);
    }
}

static void pc_ioapic_deliver(void *opaque, uint8_t dest, bool logical, uint8_t mode,
                              uint8_t vector, bool level_trig)
{
    PCIrqWiring *w = opaque;
    LAPICMessage msg = {
        .dest = dest, .logical = logical, .mode = mode, .vector = vector,
        .shorthand = APIC_SH_NONE, .level = true, .level_trig = level_trig,
    };
    apic_bus_deliver(w->lapic, w->nlapic, NULL, &msg);
}

/* The LAPIC page is per CPU: the accelerators route accesses to the running
 * vCPU's APIC (lapic_mmio_access). Without vCPUs (the device harness) CPU 0's
 * page is in the memory map so tests reach it. */
static void pc_irq_wiring_unrealize(Device *dev)
{
    PCIrqWiring *w = (PCIrqWiring *)dev;
    for (unsigned i = 0; i < w->nlapic; i++) {
        irq_free(w->cpu_intr[i]);
        w->cpu_intr[i] = NULL;
    }
    if (w->pic_intr) {
        irq_free(w->pic_intr);
        w->pic_intr = NULL;
    }
}

/* Reset runs after the vCPUs exist (machine_reset): hand each its APIC. A
 * direct kernel boot (no firmware) gets the MP tables describing all this. */
static void pc_irq_wiring_reset(Device *dev)
{
    PCIrqWiring *w = (PCIrqWiring *)dev;
    Machine *m = dev->machine;
    if (m->cfg.kernel && !m->cfg.bios) {
        MPTableConfig mp = {
            .ncpus = w->nlapic, .lapic_version = LAPIC_VERSION & 0xff,
            .ioapic_id = w->ioapic_id, .ioapic_version = IOAPIC_VERSION,
            .ioapic_addr = IOAPIC_DEFAULT_BASE, .irq0_pin = PC_IRQ0_IOAPIC_PIN,
        };
        Error *err = NULL;
        if (!mptable_install(m, &mp, &err)) {
            warn_report("%s", err->msg);
            error_free(err);
        }
    }
    for (unsigned i = 0; i < w->nlapic; i++) {
        CPUState *cpu = pc_cpu(w, i);
        if (cpu) {
            cpu->apic = w->lapic[i];
            /* Messages from before the reset are gone with it. */
            cpu->init_pending = cpu->sipi_pending = false;
        }
    }
}

static const DeviceClass pc_irq_wiring_class = {
    .name = "pc-irq-wiring",
    .desc = "PC board interrupt wiring (8259A, IOAPIC, local APICs, CPUs)",
    .bus = "sys",
    .instance_size = sizeof(PCIrqWiring),
    .user_creatable = false,
    .reset = pc_irq_wiring_reset,
    .unrealize = pc_irq_wiring_unrealize,
};

DEVICE_CLASS_REGISTER(pc_irq_wiring_class)

static bool pc_irq_init(Machine *m, Error **errp)
{
    static const char *const no_props[] = { NULL };
    unsigned ncpu = (unsigned)MAX(1, MIN(m->cfg.smp, MAX_CPUS));
    PCIrqWiring *w = (PCIrqWiring *)pc_create(m, "pc-irq-wiring", no_props, errp);
    if (!w) {
        return false;
    }
    w->pic = pc_create(m, "isa-pic", no_props, errp);
    if (!w->pic) {
        return false;
    }
    /* The IOAPIC's ID follows the CPUs' on the APIC bus (MP spec §4.3.3:
     * IDs are unique). */
    char ioapic_id[8];
    w->ioapic_id = ncpu < 15 ? (uint8_t)ncpu : 0;
    snprintf(ioapic_id, sizeof(ioapic_id), "%u", w->ioapic_id);
    const char *ioapic_props[] = { "id", ioapic_id, NULL };
    w->ioapic = pc_create(m, "ioapic", ioapic_props, errp);
    if (!w->ioapic) {
        return false;
    }
    for (unsigned i = 0; i < ncpu; i++) {
        char id[16];
        snprintf(id, sizeof(id), "%u", i);
        /* No vCPUs (device harness): CPU 0's page sits in the memory map. */
        const bool harness = m->cfg.accel && !strcmp(m->cfg.accel, "qtest");
        char tsc_khz[16];
        snprintf(tsc_khz, sizeof(tsc_khz), "%u", X86_TSC_KHZ);
        const char *props[] = {
            "apic-id", id, "bsp", i == 0 ? "on" : "off",
            "virtual-wire", i == 0 ? "on" : "off",
            "map-mmio", harness && i == 0 ? "on" : "off",
            "tsc-khz", tsc_khz, NULL,
        };
        w->lapic[i] = pc_create(m, "lapic", props, errp);
        if (!w->lapic[i]) {
            return false;
        }
        w->nlapic = i + 1;
        w->link[i] = (PCCpuLink){ .w = w, .index = i };
        w->cpu_intr[i] = irq_new(pc_cpu_intr, w, (int)i);
        LAPICHooks hooks = {
            .intr = w->cpu_intr[i],
            .cpu = &w->link[i],
            .init = pc_lapic_init,
            .sipi = pc_lapic_sipi,
            .nmi = pc_lapic_nmi,
            .read_tsc = pc_lapic_tsc,
            .bus = w,
            .send = pc_apic_send,
            .eoi = pc_apic_eoi,
        };
        lapic_connect(w->lapic[i], &hooks);
    }
    ioapic_set_deliver(w->ioapic, pc_ioapic_deliver, w);
    w->pic_intr = irq_new(pc_pic_intr, w, 0);
    pic_set_intr(w->pic, w->pic_intr);
    for (int i = 0; i < NUM_GSI; i++) {
        if (m->gsi[i]) {
            m->gsi[i]->handler = pc_gsi;
            m->gsi[i]->opaque = w;
            m->gsi[i]->n = i;
        }
    }
    return true;
}

/* Userspace interrupt controller and timer: whenever the accelerator does not
 * bring its own (KVM's in-kernel irqchip). */
static bool pc_userspace_irqchip(Machine *m)
{
    return m->cfg.accel && (!strcmp(m->cfg.accel, "tcg") || !strcmp(m->cfg.accel, "qtest") ||
                            (!strcmp(m->cfg.accel, "kvm") && !m->cfg.kernel_irqchip));
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
        if (!pc_irq_init(m, errp) || !pc_create(m, "isa-pit", no_props, errp) ||
            !pc_create(m, "hpet", no_props, errp)) {
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
