/*
 * main.c: the bt86 command line, a QEMU-compatible subset, and start-up.
 *
 * Everything the user asked for is checked before anything starts: an unknown
 * or malformed option, a missing file, a file that is not a kernel, or more
 * memory than the host has each end with one line on stderr and exit status 1.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/log.h"
#include "util/opts.h"
#include "system/machine.h"
#include "system/accel.h"
#include "system/qtest.h"
#include "hw/device.h"
#include "hw/pc/pc.h"
#include "chardev/char.h"
#include <glib-unix.h>
#include <signal.h>
#include <unistd.h>

typedef struct CliState {
    MachineConfig cfg;
    GPtrArray *accels;       /* Opts *, tried in order */
    GPtrArray *devices;      /* Opts * */
    GPtrArray *chardevs;     /* Opts * */
    bool nographic;
    bool serial_given;
    const char *display;
} CliState;

static void usage(FILE *f)
{
    fprintf(f,
"Usage: bt86 [options]\n"
"bt86 " BT86_VERSION ": a full-system x86 PC emulator (binary translation or KVM)\n"
"\n"
"Machine:\n"
"  -machine pc[,kernel-irqchip=on|off]  the PC (i440FX-style) board\n"
"  -accel kvm|tcg|qtest[,backend=native|interp]\n"
"                           how guest code runs (kvm: hardware virtualization;\n"
"                           tcg: the binary translator; qtest: no CPU, device harness)\n"
"  -enable-kvm              same as -accel kvm\n"
"  -cpu MODEL               CPU model (host, max; -cpu help)\n"
"  -m SIZE                  RAM size (plain number = MiB; K/M/G/T suffixes)\n"
"  -smp N                   number of virtual CPUs\n"
"Boot:\n"
"  -kernel FILE             Linux bzImage or Multiboot kernel to boot directly\n"
"  -initrd FILE[,FILE...]   initial ramdisk (Multiboot: modules)\n"
"  -append CMDLINE          kernel command line\n"
"  -bios FILE               firmware ROM image, mapped below 4 GiB\n"
"  -no-reboot               exit instead of rebooting when the guest resets\n"
"  -no-shutdown             stop instead of exiting when the guest shuts down\n"
"Devices and I/O:\n"
"  -device NAME[,prop=value...]   add a device (-device help; -device NAME,help)\n"
"  -serial stdio|mon:stdio|file:PATH|unix:PATH[,server=on,wait=off]|tcp:HOST:PORT|null|none\n"
"  -chardev BACKEND,id=ID[,...]   a character backend for -device ...,chardev=ID\n"
"  -nographic               no display; serial port and monitor escape on this terminal\n"
"                           (Ctrl-a x quits, Ctrl-a h for help)\n"
"  -display none            no display\n"
"  -qtest SPEC              device harness channel (with -accel qtest)\n"
"Debugging:\n"
"  -d ITEM[,ITEM...]        log items (-d help)\n"
"  -D FILE                  write the log to FILE\n"
"Other:\n"
"  -h, --help               this help\n"
"  --version                version\n"
"\n"
"Architecture and options are documented in docs/ of the source tree.\n");
}

static void cli_free_opts_array(GPtrArray *a)
{
    for (guint i = 0; i < a->len; i++) {
        opts_free(g_ptr_array_index(a, i));
    }
    g_ptr_array_free(a, true);
}

static bool cli_parse_smp(CliState *s, const char *arg, Error **errp)
{
    Opts *o = opts_parse(arg, "cpus", errp);
    if (!o) {
        return false;
    }
    uint64_t cpus = 0, sockets = 0, cores = 0, threads = 0, maxcpus = 0;
    bool ok = opts_get_u64(o, "cpus", &cpus, errp) &&
              opts_get_u64(o, "sockets", &sockets, errp) &&
              opts_get_u64(o, "cores", &cores, errp) &&
              opts_get_u64(o, "threads", &threads, errp) &&
              opts_get_u64(o, "maxcpus", &maxcpus, errp) &&
              opts_check_unused(o, "-smp", errp);
    if (ok && !opts_has(o, "cpus")) {
        cpus = (sockets ? sockets : 1) * (cores ? cores : 1) * (threads ? threads : 1);
    }
    if (ok && (cpus < 1 || cpus > MAX_CPUS)) {
        error_setg(errp, "-smp %s: the number of CPUs must be 1 to %d", arg, MAX_CPUS);
        ok = false;
    }
    if (ok && maxcpus && maxcpus < cpus) {
        error_setg(errp, "-smp %s: maxcpus is below the CPU count", arg);
        ok = false;
    }
    if (ok) {
        s->cfg.smp = cpus;
    }
    opts_free(o);
    return ok;
}

static bool cli_parse_mem(CliState *s, const char *arg, Error **errp)
{
    Opts *o = opts_parse(arg, "size", errp);
    if (!o) {
        return false;
    }
    const char *size = opts_get(o, "size");
    uint64_t v;
    bool ok = true;
    if (!size || !parse_size(size, MiB, &v) || v == 0) {
        error_setg(errp, "-m %s: expected a size such as 512, 512M or 2G", arg);
        ok = false;
    }
    /* slots= and maxmem= are accepted for compatibility; memory hotplug is not modelled. */
    opts_get(o, "slots");
    opts_get(o, "maxmem");
    if (ok && !opts_check_unused(o, "-m", errp)) {
        ok = false;
    }
    if (ok) {
        long pages = sysconf(_SC_PHYS_PAGES);
        long psize = sysconf(_SC_PAGESIZE);
        uint64_t host = (pages > 0 && psize > 0) ? (uint64_t)pages * psize : 0;
        if (host && v > host) {
            error_setg(errp, "-m %s: more memory than this host has (%" PRIu64 " MiB)",
                       arg, host / MiB);
            ok = false;
        } else {
            s->cfg.ram_size = v;
        }
    }
    opts_free(o);
    return ok;
}

static bool cli_parse_machine(CliState *s, const char *arg, Error **errp)
{
    if (!strcmp(arg, "help")) {
        printf("Supported machines are:\npc                   Standard PC (i440FX-style, "
               "ISA devices) (default)\n");
        exit(0);
    }
    Opts *o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    bool ok = true;
    const char *type = opts_get(o, "type");
    if (type && strcmp(type, "pc") && strcmp(type, "pc-i440fx") && strcmp(type, "none")) {
        error_setg(errp, "-machine %s: unsupported machine type '%s' (try -machine help)",
                   arg, type);
        ok = false;
    }
    const char *accel = ok ? opts_get(o, "accel") : NULL;
    if (accel) {
        g_ptr_array_add(s->accels, opts_parse(accel, "accel", NULL));
    }
    ok = ok && opts_get_bool(o, "kernel-irqchip", &s->cfg.kernel_irqchip, errp);
    ok = ok && opts_check_unused(o, "-machine", errp);
    opts_free(o);
    return ok;
}

static bool cli_parse_display(CliState *s, const char *arg, Error **errp)
{
    Opts *o = opts_parse(arg, "type", errp);
    if (!o) {
        return false;
    }
    const char *type = opts_get(o, "type");
    bool ok = true;
    if (!type || strcmp(type, "none")) {
        error_setg(errp, "-display %s: no graphical display is available yet "
                   "(use -display none or -nographic)", arg);
        ok = false;
    }
    ok = ok && opts_check_unused(o, "-display", errp);
    opts_free(o);
    s->display = "none";
    return ok;
}

static bool cli_parse_cpu(CliState *s, const char *arg, Error **errp)
{
    static const char *const models[] = { "host", "max", NULL };
    if (!strcmp(arg, "help")) {
        printf("Available CPU models:\n"
               "  host   the host CPU's features, as the accelerator can run them (kvm)\n"
               "  max    every feature bt86 implements\n");
        exit(0);
    }
    char *name = g_strndup(arg, strcspn(arg, ","));
    bool ok = false;
    for (int i = 0; models[i]; i++) {
        if (!strcmp(name, models[i])) {
            ok = true;
        }
    }
    if (!ok) {
        error_setg(errp, "-cpu %s: unknown CPU model '%s' (try -cpu help)", arg, name);
    } else if (strchr(arg, ',')) {
        error_setg(errp, "-cpu %s: CPU feature flags are not supported yet", arg);
        ok = false;
    }
    if (ok) {
        g_free(s->cfg.cpu_model);
        s->cfg.cpu_model = name;
    } else {
        g_free(name);
    }
    return ok;
}

static bool cli_check_file(const char *opt, const char *path, Error **errp)
{
    if (access(path, R_OK) < 0) {
        error_setg_errno(errp, errno, "%s %s", opt, path);
        return false;
    }
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        error_setg(errp, "%s %s: is a directory", opt, path);
        return false;
    }
    return true;
}

/* -accel NAME[,backend=...]: names and options are checked while parsing; whether
 * the accelerator can run on this host is decided later, in order. */
static bool cli_check_accel(Opts *o, Error **errp)
{
    const char *name = opts_get(o, "accel");
    if (!name || (strcmp(name, "kvm") && strcmp(name, "tcg") && strcmp(name, "qtest"))) {
        error_setg(errp, "-accel %s: unknown accelerator '%s' (try -accel help)", o->text,
                   name ? name : "");
        return false;
    }
    const char *backend = opts_get(o, "backend");
    if (backend && strcmp(name, "tcg")) {
        error_setg(errp, "-accel %s: backend= applies to tcg only", o->text);
        return false;
    }
    if (backend && strcmp(backend, "native") && strcmp(backend, "interp")) {
        error_setg(errp, "-accel %s: backend must be native or interp", o->text);
        return false;
    }
    bool ok = opts_check_unused(o, "-accel", errp);
    /* Later passes look the keys up again. */
    for (guint i = 0; i < o->items->len; i++) {
        g_array_index(o->items, OptItem, i).used = false;
    }
    return ok;
}

/* Options that take an argument, and those that do not. */
static const char *const opts_with_arg[] = {
    "m", "smp", "kernel", "initrd", "append", "serial", "chardev", "display", "accel",
    "machine", "M", "cpu", "device", "d", "D", "bios", "qtest", NULL,
};
static const char *const opts_flag[] = {
    "nographic", "no-reboot", "no-shutdown", "enable-kvm", "h", "help", "version", NULL,
};

static bool name_in(const char *name, const char *const *list)
{
    for (int i = 0; list[i]; i++) {
        if (!strcmp(name, list[i])) {
            return true;
        }
    }
    return false;
}

static bool cli_parse(CliState *s, int argc, char **argv, Error **errp)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            error_setg(errp, "%s: unexpected argument (options start with '-'; see --help)", a);
            return false;
        }
        const char *name = a + 1 + (a[1] == '-');
        const char *arg = NULL;
        if (name_in(name, opts_with_arg)) {
            if (i + 1 >= argc) {
                error_setg(errp, "-%s: requires an argument", name);
                return false;
            }
            arg = argv[++i];
        } else if (!name_in(name, opts_flag)) {
            error_setg(errp, "%s: invalid option (see --help)", a);
            return false;
        }

        if (!strcmp(name, "h") || !strcmp(name, "help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(name, "version")) {
            printf("bt86 version " BT86_VERSION "\n");
            exit(0);
        } else if (!strcmp(name, "m")) {
            if (!cli_parse_mem(s, arg, errp)) {
                return false;
            }
        } else if (!strcmp(name, "smp")) {
            if (!cli_parse_smp(s, arg, errp)) {
                return false;
            }
        } else if (!strcmp(name, "kernel")) {
            g_free(s->cfg.kernel);
            s->cfg.kernel = g_strdup(arg);
        } else if (!strcmp(name, "initrd")) {
            g_free(s->cfg.initrd);
            s->cfg.initrd = g_strdup(arg);
        } else if (!strcmp(name, "append")) {
            g_free(s->cfg.append);
            s->cfg.append = g_strdup(arg);
        } else if (!strcmp(name, "bios")) {
            g_free(s->cfg.bios);
            s->cfg.bios = g_strdup(arg);
        } else if (!strcmp(name, "serial")) {
            if (s->cfg.nr_serial >= MAX_SERIAL) {
                error_setg(errp, "-serial %s: at most %d serial ports", arg, MAX_SERIAL);
                return false;
            }
            s->cfg.serial[s->cfg.nr_serial++] = g_strdup(arg);
            s->serial_given = true;
        } else if (!strcmp(name, "chardev")) {
            Opts *o = opts_parse(arg, "backend", errp);
            if (!o) {
                return false;
            }
            g_ptr_array_add(s->chardevs, o);
        } else if (!strcmp(name, "device")) {
            Opts *o = opts_parse(arg, "driver", errp);
            if (!o) {
                return false;
            }
            const char *drv = opts_get(o, "driver");
            if (drv && !strcmp(drv, "help")) {
                device_list_help(stdout);
                exit(0);
            }
            if (opts_has(o, "help")) {
                const DeviceClass *cls = drv ? device_class_find(drv) : NULL;
                if (!cls) {
                    error_setg(errp, "-device %s: no such device (try -device help)", arg);
                    opts_free(o);
                    return false;
                }
                device_class_help(cls, stdout);
                exit(0);
            }
            g_ptr_array_add(s->devices, o);
        } else if (!strcmp(name, "display")) {
            if (!cli_parse_display(s, arg, errp)) {
                return false;
            }
        } else if (!strcmp(name, "nographic")) {
            s->nographic = true;
        } else if (!strcmp(name, "accel")) {
            if (!strcmp(arg, "help")) {
                printf("Accelerators supported in bt86:\nkvm\ntcg\nqtest\n");
                exit(0);
            }
            Opts *o = opts_parse(arg, "accel", errp);
            if (!o || !cli_check_accel(o, errp)) {
                opts_free(o);
                return false;
            }
            g_ptr_array_add(s->accels, o);
        } else if (!strcmp(name, "enable-kvm")) {
            g_ptr_array_add(s->accels, opts_parse("kvm", "accel", NULL));
        } else if (!strcmp(name, "machine") || !strcmp(name, "M")) {
            if (!cli_parse_machine(s, arg, errp)) {
                return false;
            }
        } else if (!strcmp(name, "cpu")) {
            if (!cli_parse_cpu(s, arg, errp)) {
                return false;
            }
        } else if (!strcmp(name, "no-reboot")) {
            s->cfg.no_reboot = true;
        } else if (!strcmp(name, "no-shutdown")) {
            s->cfg.no_shutdown = true;
        } else if (!strcmp(name, "d")) {
            if (!strcmp(arg, "help")) {
                log_print_help(stdout);
                exit(0);
            }
            if (!log_parse_mask(arg, &bt86_log_mask, errp)) {
                return false;
            }
        } else if (!strcmp(name, "D")) {
            if (!log_set_file(arg, errp)) {
                return false;
            }
        } else if (!strcmp(name, "qtest")) {
            g_free(s->cfg.qtest);
            s->cfg.qtest = g_strdup(arg);
        }
    }
    return true;
}

/* Pick the first accelerator that can run here (QEMU's -accel list semantics). */
static bool cli_choose_accel(CliState *s, Error **errp)
{
    if (!s->accels->len) {
        /* Hardware virtualization where the host has it, else the translator. */
        if (s->cfg.qtest) {
            g_ptr_array_add(s->accels, opts_parse("qtest", "accel", NULL));
        } else {
            g_ptr_array_add(s->accels, opts_parse("kvm", "accel", NULL));
            g_ptr_array_add(s->accels, opts_parse("tcg", "accel", NULL));
        }
    }
    Error *last = NULL;
    for (guint i = 0; i < s->accels->len; i++) {
        Opts *o = g_ptr_array_index(s->accels, i);
        const char *name = opts_get(o, "accel");
        Error *err = NULL;
        if (!name) {
            error_setg(&err, "-accel %s: no accelerator named", o->text);
        } else if (!strcmp(name, "tcg")) {
            const char *backend = opts_get(o, "backend");
            if (backend && strcmp(backend, "native") && strcmp(backend, "interp")) {
                error_setg(&err, "-accel %s: backend must be native or interp", o->text);
            } else if (opts_check_unused(o, "-accel", &err)) {
                s->cfg.accel = g_strdup("tcg");
                g_free(s->cfg.tcg_backend);
                s->cfg.tcg_backend = g_strdup(backend);   /* NULL: native if usable */
            }
        } else if (!strcmp(name, "kvm")) {
            if (opts_check_unused(o, "-accel", &err) && kvm_available(&err)) {
                s->cfg.accel = g_strdup("kvm");
            }
        } else if (!strcmp(name, "qtest")) {
            if (opts_check_unused(o, "-accel", &err)) {
                if (!s->cfg.qtest) {
                    error_setg(&err, "-accel qtest needs -qtest SPEC (the harness channel)");
                } else {
                    s->cfg.accel = g_strdup("qtest");
                }
            }
        } else {
            error_setg(&err, "-accel %s: unknown accelerator '%s' (try -accel help)",
                       o->text, name);
        }
        if (s->cfg.accel) {
            error_free(last);
            error_free(err);
            return true;
        }
        error_free(last);
        last = err;
    }
    if (errp && !*errp) {
        *errp = last;
    } else {
        error_free(last);
    }
    return false;
}

static void request_quit(void *opaque)
{
    machine_request_shutdown(opaque, 0);
}

static gboolean on_signal(gpointer opaque)
{
    Machine *m = opaque;
    fprintf(stderr, "bt86: terminating on signal\n");
    machine_request_shutdown(m, 0);
    return G_SOURCE_CONTINUE;
}

static bool setup_chardevs(Machine *m, CliState *s, Error **errp)
{
    ChardevHost host = { .ctx = m->ctx, .request_quit = request_quit, .opaque = m };

    for (guint i = 0; i < s->chardevs->len; i++) {
        Chardev *c = chardev_new_from_opts(&host, g_ptr_array_index(s->chardevs, i), errp);
        if (!c) {
            return false;
        }
        if (machine_find_chardev(m, c->id)) {
            error_setg(errp, "-chardev %s: duplicate id '%s'",
                       ((Opts *)g_ptr_array_index(s->chardevs, i))->text, c->id);
            chardev_free(c);
            return false;
        }
        g_ptr_array_add(m->chardevs, c);
    }
    for (int i = 0; i < m->cfg.nr_serial; i++) {
        char id[16];
        snprintf(id, sizeof(id), "serial%d", i);
        Chardev *c = chardev_new_from_spec(&host, m->cfg.serial[i], id, errp);
        if (!c) {
            if (errp && *errp) {
                return false;
            }
            continue;   /* "none" */
        }
        g_ptr_array_add(m->chardevs, c);
        m->serial_chr[i] = c;
    }
    return true;
}

static bool create_cpus(Machine *m)
{
    for (int i = 0; i < m->cfg.smp; i++) {
        CPUState *cpu = g_new0(CPUState, 1);
        cpu->machine = m;
        cpu->index = i;
        m->cpus[m->ncpus++] = cpu;
    }
    return true;
}

static int run(CliState *s)
{
    Error *err = NULL;
    Machine *m = NULL;
    int status = 1;
    bool started = false;
    bool accel_ready = false;

    if (!s->cfg.ram_size) {
        s->cfg.ram_size = 128 * MiB;
    }
    if (!s->cfg.smp) {
        s->cfg.smp = 1;
    }
    if (!s->cfg.cpu_model) {
        s->cfg.cpu_model = g_strdup("host");
    }
    if ((s->cfg.kernel && !cli_check_file("-kernel", s->cfg.kernel, &err)) ||
        (s->cfg.bios && !cli_check_file("-bios", s->cfg.bios, &err))) {
        goto fail;
    }
    if (s->cfg.initrd) {
        char **files = g_strsplit(s->cfg.initrd, ",", -1);
        bool ok = true;
        for (char **f = files; ok && *f; f++) {
            /* Multiboot modules may carry arguments after a space. */
            char *path = g_strndup(*f, strcspn(*f, " "));
            ok = cli_check_file("-initrd", path, &err);
            g_free(path);
        }
        g_strfreev(files);
        if (!ok) {
            goto fail;
        }
    }
    if ((s->cfg.initrd || s->cfg.append) && !s->cfg.kernel) {
        error_setg(&err, "%s only makes sense with -kernel", s->cfg.initrd ? "-initrd"
                                                                            : "-append");
        goto fail;
    }
    if (s->cfg.qtest) {
        bool named = !s->accels->len;
        for (guint i = 0; i < s->accels->len; i++) {
            const char *a = opts_get(g_ptr_array_index(s->accels, i), "accel");
            named |= a && !strcmp(a, "qtest");
        }
        if (!named) {
            error_setg(&err, "-qtest needs -accel qtest");
            goto fail;
        }
    } else if (!s->cfg.kernel && !s->cfg.bios) {
        error_setg(&err, "nothing to boot: give -kernel FILE (or -bios FILE)");
        goto fail;
    }
    if (!cli_choose_accel(s, &err)) {
        goto fail;
    }
    bool qtest = !strcmp(s->cfg.accel, "qtest");
    if (!s->serial_given) {
        /* Without a graphical console the first serial port is the user's console. */
        s->cfg.serial[0] = g_strdup(qtest ? "none" : "mon:stdio");
        s->cfg.nr_serial = 1;
    }

    m = machine_new(&s->cfg, &err);
    if (!m) {
        goto fail;
    }
    machine_lock(m);
    m->accel = accel_find(m->cfg.accel);
    GSource *src;
    int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        src = g_unix_signal_source_new(sigs[i]);
        g_source_set_callback(src, on_signal, m, NULL);
        g_source_attach(src, m->ctx);
        g_source_unref(src);
    }

    if (!setup_chardevs(m, s, &err) || !pc_machine_init(m, &err)) {
        goto fail_locked;
    }
    for (guint i = 0; i < s->devices->len; i++) {
        Opts *o = g_ptr_array_index(s->devices, i);
        const char *drv = opts_get(o, "driver");
        const DeviceClass *cls = drv ? device_class_find(drv) : NULL;
        if (!cls) {
            error_setg(&err, "-device %s: no such device (try -device help)", o->text);
            goto fail_locked;
        }
        if (!cls->user_creatable) {
            error_setg(&err, "-device %s: '%s' is built into the board and cannot be added",
                       o->text, drv);
            goto fail_locked;
        }
        if (!device_create(m, drv, o, &err)) {
            goto fail_locked;
        }
    }
    if (!qtest) {
        create_cpus(m);
    }
    /* Load the kernel and set the boot CPU before the accelerator starts, so a bad
     * kernel is reported with nothing running. */
    if (!machine_reset(m, &err)) {
        goto fail_locked;
    }
    if (!m->accel->init(m, &err)) {
        goto fail_locked;
    }
    accel_ready = true;
    for (int i = 0; i < m->ncpus; i++) {
        if (!m->accel->cpu_init(m->cpus[i], &err)) {
            goto fail_locked;
        }
    }
    if (qtest && !qtest_init(m, m->cfg.qtest, &err)) {
        goto fail_locked;
    }
    started = true;
    for (int i = 0; i < m->ncpus; i++) {
        m->accel->cpu_start(m->cpus[i]);
    }
    status = machine_main_loop(m);
    goto teardown;

fail_locked:
    error_report_err(err);
    err = NULL;
    status = 1;
teardown:
    if (started) {
        m->shutdown_requested = true;
        for (int i = 0; i < m->ncpus; i++) {
            CPUState *cpu = m->cpus[i];
            cpu->exit_request = 1;
            if (m->accel->cpu_kick) {
                m->accel->cpu_kick(cpu);
            }
        }
        g_cond_broadcast(&m->cpu_cond);
        machine_unlock(m);
        for (int i = 0; i < m->ncpus; i++) {
            if (m->accel->cpu_destroy) {
                m->accel->cpu_destroy(m->cpus[i]);
            }
        }
        machine_lock(m);
    }
    if (started || accel_ready) {
        for (int i = 0; i < m->ncpus && !started; i++) {
            if (m->cpus[i]->accel && m->accel->cpu_destroy) {
                m->accel->cpu_destroy(m->cpus[i]);
            }
        }
    }
    if (m->accel && m->accel->destroy && accel_ready) {
        m->accel->destroy(m);
    }
    machine_unlock(m);
    chardev_restore_terminal();
    machine_free(m);
    return status;

fail:
    if (err) {
        error_report_err(err);
    }
    chardev_restore_terminal();
    return 1;
}

int main(int argc, char **argv)
{
    CliState s = { 0 };
    Error *err = NULL;

    s.accels = g_ptr_array_new();
    s.devices = g_ptr_array_new();
    s.chardevs = g_ptr_array_new();
    s.cfg.kernel_irqchip = true;
    /* A backend whose peer went away reports EPIPE; it must not kill bt86. */
    signal(SIGPIPE, SIG_IGN);

    int status;
    if (!cli_parse(&s, argc, argv, &err)) {
        error_report_err(err);
        status = 1;
    } else {
        if (s.nographic && !s.serial_given) {
            s.cfg.serial[0] = g_strdup("mon:stdio");
            s.cfg.nr_serial = 1;
            s.serial_given = true;
        }
        status = run(&s);
    }
    g_free(s.cfg.kernel);
    g_free(s.cfg.initrd);
    g_free(s.cfg.append);
    g_free(s.cfg.bios);
    g_free(s.cfg.accel);
    g_free(s.cfg.tcg_backend);
    g_free(s.cfg.cpu_model);
    g_free(s.cfg.qtest);
    for (int i = 0; i < MAX_SERIAL; i++) {
        g_free(s.cfg.serial[i]);
    }
    cli_free_opts_array(s.accels);
    cli_free_opts_array(s.devices);
    cli_free_opts_array(s.chardevs);
    if (bt86_log_file) {
        fclose(bt86_log_file);
    }
    return status;
}
