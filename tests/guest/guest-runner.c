/*
 * guest-runner.c: runs one bare-metal guest test program (tests/guest/) inside
 * bt86 and judges it by what the guest wrote to its serial port and by the exit
 * status the debug-exit device gave the process ((V << 1) | 1 for a write of V).
 * bt86 must also stay silent on stderr: its own failures exit with status 1 too.
 *
 *   guest-runner --bt86 PATH --kernel PROG.elf [--accel kvm] [--expect TEXT]...
 *                [--status N] [--timeout SECONDS] [--arg BT86-ARG]...
 *   guest-runner --oracle --kernel PROG.elf ...   (run Debian's qemu-system-x86_64
 *                -accel tcg instead, to check the test program itself)
 *
 * Exit codes follow meson: 0 pass, 1 fail, 77 skip (with the reason printed:
 * /dev/kvm absent or unusable, or no QEMU for --oracle).
 */
#include "util/osdep.h"
#include "system/accel.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#define EXIT_SKIP 77

typedef struct RunnerOpts {
    char *bt86;
    char *kernel;
    char *accel;
    char **expect;
    char **extra;
    int status;
    int timeout;
    gboolean oracle;
} RunnerOpts;

static void runner_opts_free(RunnerOpts *o)
{
    g_free(o->bt86);
    g_free(o->kernel);
    g_free(o->accel);
    g_strfreev(o->expect);
    g_strfreev(o->extra);
}

static char *find_qemu(void)
{
    return g_find_program_in_path("qemu-system-x86_64");
}

/* Spawn argv with its stderr sent to err_path, wait up to timeout seconds.
 * Returns the wait status, or -1 after killing a child that overran (or could
 * not be started). */
static int run_with_timeout(char **argv, const char *err_path, int timeout)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(argv[0], argv);
        fprintf(stderr, "guest-runner: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
    for (;;) {
        int wstatus;
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) {
            return wstatus;
        }
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            return -1;
        }
        if (g_get_monotonic_time() > deadline) {
            fprintf(stderr, "guest-runner: FAIL: no exit after %d s, killing it\n",
                    timeout);
            kill(pid, SIGKILL);
            waitpid(pid, &wstatus, 0);
            return -1;
        }
        g_usleep(20 * 1000);
    }
}

/* Serial text without carriage returns, so expectations need not care. */
static char *read_serial(const char *path)
{
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, NULL)) {
        return g_strdup("");
    }
    char *w = text;
    for (gsize i = 0; i < len; i++) {
        if (text[i] != '\r' && text[i] != '\0') {
            *w++ = text[i];
        }
    }
    *w = '\0';
    return text;
}

int main(int argc, char **argv)
{
    RunnerOpts o = { .accel = NULL, .status = 1, .timeout = 120 };
    GOptionEntry entries[] = {
        { "bt86", 0, 0, G_OPTION_ARG_FILENAME, &o.bt86, "bt86 binary", "PATH" },
        { "kernel", 0, 0, G_OPTION_ARG_FILENAME, &o.kernel, "guest program", "ELF" },
        { "accel", 0, 0, G_OPTION_ARG_STRING, &o.accel, "accelerator (kvm)", "NAME" },
        { "expect", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.expect,
          "text the serial output must contain", "TEXT" },
        { "status", 0, 0, G_OPTION_ARG_INT, &o.status, "expected exit status (1)", "N" },
        { "timeout", 0, 0, G_OPTION_ARG_INT, &o.timeout, "seconds (120)", "S" },
        { "arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.extra, "extra emulator argument",
          "ARG" },
        { "oracle", 0, 0, G_OPTION_ARG_NONE, &o.oracle,
          "run qemu-system-x86_64 -accel tcg instead of bt86", NULL },
        { NULL }
    };
    GError *gerr = NULL;
    GOptionContext *ctx = g_option_context_new("- run a bare-metal guest test");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
        fprintf(stderr, "guest-runner: %s\n", gerr->message);
        return 1;
    }
    g_option_context_free(ctx);
    if (!o.kernel || (!o.oracle && !o.bt86)) {
        fprintf(stderr, "guest-runner: --kernel and --bt86 (or --oracle) are needed\n");
        return 1;
    }
    if (!o.accel) {
        o.accel = g_strdup("kvm");
    }

    char *emulator;
    if (o.oracle) {
        emulator = find_qemu();
        if (!emulator) {
            printf("SKIP: qemu-system-x86_64 not found (Debian package "
                   "qemu-system-x86); the oracle run checks the test program itself\n");
            runner_opts_free(&o);
            return EXIT_SKIP;
        }
    } else {
        if (!strcmp(o.accel, "kvm")) {
            Error *err = NULL;
            if (!kvm_available(&err)) {
                printf("SKIP: KVM is not usable here: %s\n", err->msg);
                error_free(err);
                runner_opts_free(&o);
                return EXIT_SKIP;
            }
        }
        emulator = g_strdup(o.bt86);
    }

    char *dir = g_dir_make_tmp("bt86-guest-XXXXXX", &gerr);
    if (!dir) {
        fprintf(stderr, "guest-runner: %s\n", gerr->message);
        return 1;
    }
    char *serial = g_build_filename(dir, "serial.out", NULL);
    char *errlog = g_build_filename(dir, "stderr.out", NULL);
    char *serial_spec = g_strdup_printf("file:%s", serial);

    GPtrArray *av = g_ptr_array_new();
    g_ptr_array_add(av, emulator);
    g_ptr_array_add(av, "-accel");
    g_ptr_array_add(av, o.oracle ? "tcg" : o.accel);
    g_ptr_array_add(av, "-m");
    g_ptr_array_add(av, "32");
    g_ptr_array_add(av, "-display");
    g_ptr_array_add(av, "none");
    g_ptr_array_add(av, "-serial");
    g_ptr_array_add(av, serial_spec);
    g_ptr_array_add(av, "-device");
    g_ptr_array_add(av, "isa-debug-exit,iobase=0xf4,iosize=0x04");
    g_ptr_array_add(av, "-kernel");
    g_ptr_array_add(av, o.kernel);
    for (char **e = o.extra; e && *e; e++) {
        g_ptr_array_add(av, *e);
    }
    g_ptr_array_add(av, NULL);

    char *cmdline = g_strjoinv(" ", (char **)av->pdata);
    printf("running: %s\n", cmdline);
    fflush(stdout);
    int wstatus = run_with_timeout((char **)av->pdata, errlog, o.timeout);
    char *out = read_serial(serial);
    char *err_text = read_serial(errlog);

    bool pass = true;
    printf("---- serial output ----\n%s%s---- end ----\n", out,
           *out && out[strlen(out) - 1] != '\n' ? "\n" : "");
    if (*err_text) {
        printf("---- emulator stderr ----\n%s%s---- end ----\n", err_text,
               err_text[strlen(err_text) - 1] != '\n' ? "\n" : "");
        /* A clean bt86 run prints nothing; an error line matters even when the
         * exit status happens to look right (bt86's own failure status is 1,
         * the same as a guest's pass). */
        if (!o.oracle) {
            printf("FAIL: bt86 wrote to stderr\n");
            pass = false;
        }
    }
    if (wstatus < 0) {
        pass = false;
    } else if (WIFSIGNALED(wstatus)) {
        printf("FAIL: emulator killed by signal %d\n", WTERMSIG(wstatus));
        pass = false;
    } else if (WEXITSTATUS(wstatus) != o.status) {
        printf("FAIL: exit status %d, expected %d\n", WEXITSTATUS(wstatus), o.status);
        pass = false;
    } else {
        printf("ok: exit status %d\n", o.status);
    }
    for (char **e = o.expect; e && *e; e++) {
        if (strstr(out, *e)) {
            printf("ok: serial output has \"%s\"\n", *e);
        } else {
            printf("FAIL: serial output lacks \"%s\"\n", *e);
            pass = false;
        }
    }
    if (strstr(out, "FAIL")) {
        printf("FAIL: the guest reported a failure\n");
        pass = false;
    }

    unlink(serial);
    unlink(errlog);
    rmdir(dir);
    g_free(cmdline);
    g_free(out);
    g_free(err_text);
    g_free(errlog);
    g_ptr_array_free(av, true);
    g_free(serial_spec);
    g_free(serial);
    g_free(dir);
    g_free(emulator);
    runner_opts_free(&o);
    printf("%s\n", pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
