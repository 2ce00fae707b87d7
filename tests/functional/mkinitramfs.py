#!/usr/bin/env python3
"""mkinitramfs.py: build a small initramfs (newc cpio, gzip) around Debian's
busybox-static, for booting Debian's kernel under bt86.

/init mounts proc, sys and dev, prints the marker line "bt86: init reached",
then follows the kernel command line:
  bt86.test=reboot   print CPU count and exit through `reboot -f`
  bt86.test=poweroff likewise through `poweroff -f`
  (otherwise)        an interactive shell on the console (the default guest)
Extra files: --add HOSTPATH:GUESTPATH (e.g. a static test program).

Usage: mkinitramfs.py OUTPUT [--busybox PATH] [--add SRC:DST ...]"""
import argparse
import gzip
import io
import os
import stat
import sys

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "bt86: init reached"
mode=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    bt86.test=*) mode=${arg#bt86.test=} ;;
    esac
done
if [ -n "$mode" ]; then
    echo "bt86: cpus $(grep -c ^processor /proc/cpuinfo)"
    echo "bt86: $(grep -m1 ^flags /proc/cpuinfo)"
    for t in /tests/*; do
        [ -x "$t" ] && "$t"
    done
    echo "bt86: test done"
    [ "$mode" = poweroff ] && poweroff -f
    reboot -f
fi
echo "Welcome to the bt86 default guest: Debian's kernel with a busybox shell."
echo "Leave with 'reboot -f' (or Ctrl-a x)."
exec setsid cttyhack sh -l
"""


class Cpio:
    def __init__(self):
        self.out = io.BytesIO()
        self.ino = 1000

    def _entry(self, name, mode, data=b'', nlink=1):
        self.ino += 1
        name_b = name.encode() + b'\0'
        hdr = '070701' + ''.join('%08X' % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        self.out.write(hdr.encode() + name_b)
        self.out.write(b'\0' * ((4 - (110 + len(name_b)) % 4) % 4))
        self.out.write(data)
        self.out.write(b'\0' * ((4 - len(data) % 4) % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name, data, perm=0o755):
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def finish(self):
        self._entry('TRAILER!!!', 0)
        data = self.out.getvalue()
        return data + b'\0' * ((512 - len(data) % 512) % 512)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('output')
    ap.add_argument('--busybox', default='/bin/busybox')
    ap.add_argument('--add', action='append', default=[])
    a = ap.parse_args()
    if not os.path.exists(a.busybox):
        print(f'mkinitramfs: {a.busybox}: not found (apt-get install -y busybox-static)',
              file=sys.stderr)
        return 1
    c = Cpio()
    for d in ('bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'root', 'tests', 'etc'):
        c.dir(d)
    c.file('bin/busybox', open(a.busybox, 'rb').read())
    c.symlink('bin/sh', 'busybox')
    c.file('init', INIT.encode())
    c.file('etc/profile', b'PS1="bt86:\\w# "\nexport PS1\n', 0o644)
    for spec in a.add:
        src, dst = spec.split(':', 1)
        c.file(dst.lstrip('/'), open(src, 'rb').read())
    with open(a.output, 'wb') as f:
        f.write(gzip.compress(c.finish(), compresslevel=6, mtime=0))
    return 0


if __name__ == '__main__':
    sys.exit(main())
