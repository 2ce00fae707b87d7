/*
 * codebuf.c: executable memory for generated code.
 *
 * Hosts with W^X policies (SELinux execmem, PaX, hardened kernels) refuse
 * pages that are writable and executable at once. We create one memfd and map
 * it twice: a read-write view the emitter writes through and a read-execute
 * view the CPU runs. Only if memfd is unavailable do we fall back to a single
 * RWX anonymous mapping.
 */
#include "tcg/tcg-internal.h"
#include <sys/mman.h>
#include <unistd.h>

bool tcg_codebuf_init(TCGCodeBuf *b, size_t size, Error **errp)
{
    void *rw, *rx;
    int fd;

    memset(b, 0, sizeof(*b));
    b->fd = -1;
    size = (size + 0xffff) & ~(size_t)0xffff;
    if (size == 0 || size > (size_t)1 << 31) {
        /* rel32 branches between blocks and the epilogue must reach. */
        error_setg(errp, "code buffer size %zu out of range (64 KiB..2 GiB)", size);
        return false;
    }
    fd = memfd_create("bt86-code", MFD_CLOEXEC);
    if (fd >= 0 && ftruncate(fd, size) == 0) {
        rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        rx = rw == MAP_FAILED ? MAP_FAILED
                              : mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
        if (rw != MAP_FAILED && rx != MAP_FAILED) {
            b->rw = rw;
            b->rx = rx;
            b->size = size;
            b->fd = fd;
            b->dual = true;
            return true;
        }
        if (rw != MAP_FAILED) {
            munmap(rw, size);
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    rw = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
              -1, 0);
    if (rw == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map %zu bytes of executable memory", size);
        return false;
    }
    b->rw = rw;
    b->rx = rw;
    b->size = size;
    b->dual = false;
    return true;
}

void tcg_codebuf_destroy(TCGCodeBuf *b)
{
    if (b->rw) {
        munmap(b->rw, b->size);
    }
    if (b->dual && b->rx) {
        munmap((void *)b->rx, b->size);
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    memset(b, 0, sizeof(*b));
    b->fd = -1;
}
