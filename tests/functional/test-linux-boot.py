#!/usr/bin/env python3
"""test-linux-boot.py: boot Debian's kernel with a busybox initramfs under
bt86 and check what /init reports (TAP output).

The initramfs (mkinitramfs.py) prints "bt86: init reached", the CPU count
from /proc/cpuinfo, runs /tests/* and reboots with `reboot -f`; with
-no-reboot bt86 then exits with status 0. With --fpmath, the static program
tests/functional/fpmath.c runs in the guest and its output must equal a
native run on the host, line by line (x87 long double, SSE double, glibc's
CPUID-selected string functions).

Skips (exit 77, reason printed) when the kernel or busybox-static is absent.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def newest_kernel():
    ks = sorted(glob.glob('/boot/vmlinuz-*'))
    return ks[-1] if ks else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bt86', required=True)
    ap.add_argument('--accel', default='tcg')
    ap.add_argument('--kernel', default=None)
    ap.add_argument('--smp', type=int, default=1)
    ap.add_argument('-m', '--mem', default='512')
    ap.add_argument('--fpmath', default=None, help='static fpmath binary')
    ap.add_argument('--timeout', type=float, default=240)
    ap.add_argument('--append', default='')
    a = ap.parse_args()

    kernel = a.kernel or newest_kernel()
    if not kernel or not os.path.exists(kernel):
        print('1..0 # SKIP no kernel in /boot (apt-get install -y linux-image-amd64)')
        return 77
    if not os.path.exists('/bin/busybox'):
        print('1..0 # SKIP no /bin/busybox (apt-get install -y busybox-static)')
        return 77

    n = 0
    failed = False

    def check(ok, what, detail=''):
        nonlocal n, failed
        n += 1
        print(('ok %d - %s' if ok else 'not ok %d - %s') % (n, what))
        if not ok:
            failed = True
            for line in detail.splitlines()[-40:]:
                print('# ' + line)

    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, 'initrd.gz')
        cmd = [sys.executable, os.path.join(HERE, 'mkinitramfs.py'), initrd]
        expected = None
        if a.fpmath:
            cmd += ['--add', a.fpmath + ':/tests/fpmath']
            expected = subprocess.run([a.fpmath], capture_output=True, text=True,
                                      check=True).stdout.splitlines()
        subprocess.run(cmd, check=True)
        argv = [a.bt86, '-accel', a.accel, '-nographic', '-no-reboot',
                '-m', a.mem, '-smp', str(a.smp), '-kernel', kernel, '-initrd', initrd,
                '-append', ('console=ttyS0 panic=-1 bt86.test=reboot ' + a.append).strip()]
        print('# ' + ' '.join(argv))
        t0 = time.monotonic()
        t_init = None
        out = []
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        try:
            import selectors
            sel = selectors.DefaultSelector()
            sel.register(p.stdout, selectors.EVENT_READ)
            buf = b''
            while True:
                left = a.timeout - (time.monotonic() - t0)
                if left <= 0:
                    p.kill()
                    out.append('[timeout after %.0f s]' % a.timeout)
                    break
                if not sel.select(timeout=min(left, 1.0)):
                    if p.poll() is not None:
                        break
                    continue
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                while b'\n' in buf:
                    line, buf = buf.split(b'\n', 1)
                    s = line.decode('utf-8', 'replace').rstrip('\r')
                    out.append(s)
                    if t_init is None and 'bt86: init reached' in s:
                        t_init = time.monotonic() - t0
            if buf:
                out.append(buf.decode('utf-8', 'replace'))
            status = p.wait(timeout=10)
        finally:
            if p.poll() is None:
                p.kill()
        text = '\n'.join(out)
        check(t_init is not None, 'kernel boots to /init', text)
        if t_init is not None:
            print('# boot to /init: %.2f s' % t_init)
        m = re.search(r'bt86: cpus (\d+)', text)
        check(m is not None and int(m.group(1)) == a.smp,
              '/proc/cpuinfo shows %d CPU(s)' % a.smp, text if not m else m.group(0))
        # What target-x86/cpuid.c advertises, as Linux names it (docs/cpu-model.md).
        want = ('fpu de pse tsc msr pae cx8 apic sep mtrr pge cmov pat pse36 clflush '
                'mmx fxsr sse sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc '
                'nonstop_tsc pni ssse3 cx16 sse4_1 sse4_2 movbe popcnt '
                'tsc_deadline_timer xsave hypervisor lahf_lm abm fsgsbase erms '
                'rdpid arch_capabilities pcid smep smap invpcid').split()
        if a.smp == 1:
            want.remove('ht')
        m = re.search(r'bt86: flags\s*:(.*)', text)
        have = set(m.group(1).split()) if m else set()
        missing = [f for f in want if f not in have]
        check(m is not None and not missing,
              '/proc/cpuinfo flags show what CPUID advertises',
              'missing: %s\nflags: %s' % (' '.join(missing), ' '.join(sorted(have))))
        if expected is not None:
            got = [l for l in out if re.match(r'^(x87|sse|str|fpmath) ', l)]
            diff = [('host:  ' + e, 'guest: ' + g) for e, g in zip(expected, got) if e != g]
            ok = len(got) == len(expected) and not diff
            detail = '\n'.join('%s\n%s' % d for d in diff) or \
                'guest printed %d of %d lines\n%s' % (len(got), len(expected), text)
            check(ok, 'fpmath output equals the host CPU\'s (%d lines)' % len(expected),
                  detail)
        check('bt86: test done' in text and status == 0,
              'reboot -f ends the run (exit status %d)' % status, text)
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
