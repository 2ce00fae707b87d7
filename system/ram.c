/*
 * ram.c: guest RAM blocks backed by memfd, so the same pages can later be
 * handed to another process (vhost-user backends, migration) by file
 * descriptor. The mapping reserves address space only; pages are populated as
 * the guest touches them.
 */
#include "util/osdep.h"
#include "system/memory.h"
#include <sys/mman.h>
#include <unistd.h>

RamBlock *ram_block_new(const char *name, uint64_t size, Error **errp)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot create guest RAM '%s'", name);
        return NULL;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        error_setg_errno(errp, errno, "cannot size guest RAM '%s' to %" PRIu64 " MiB",
                         name, size / MiB);
        close(fd);
        return NULL;
    }
    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                      fd, 0);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map %" PRIu64 " MiB of guest RAM",
                         size / MiB);
        close(fd);
        return NULL;
    }
    madvise(host, size, MADV_DONTDUMP);
    RamBlock *rb = g_new0(RamBlock, 1);
    rb->name = g_strdup(name);
    rb->size = size;
    rb->host = host;
    rb->fd = fd;
    return rb;
}

void ram_block_free(RamBlock *rb)
{
    if (!rb) {
        return;
    }
    munmap(rb->host, rb->size);
    close(rb->fd);
    g_free(rb->name);
    g_free(rb);
}
