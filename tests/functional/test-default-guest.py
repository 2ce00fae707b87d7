#!/usr/bin/env python3
"""test-default-guest.py: the README's default guest, as a user meets it.

Runs scripts/run-default-guest (Debian's kernel, the busybox initramfs,
-accel tcg), waits for the shell prompt, types a command whose answer only a
working shell can give, then `reboot -f`, which must end bt86 with status 0
(run-default-guest passes -no-reboot). TAP output; skips (77) without a
kernel in /boot or the initramfs.
"""
import glob
import os
import selectors
import subprocess
import sys
import time

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    build = os.environ.get('BUILDDIR', os.path.join(SRC, 'build'))
    if not glob.glob('/boot/vmlinuz-*'):
        print('1..0 # SKIP no kernel in /boot (apt-get install -y linux-image-amd64)')
        return 77
    if not os.path.exists(os.path.join(build, 'tests', 'functional', 'initrd.gz')):
        print('1..0 # SKIP no initramfs (busybox-static missing at build time)')
        return 77
    env = dict(os.environ, BUILDDIR=build)
    p = subprocess.Popen([os.path.join(SRC, 'scripts', 'run-default-guest')],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    out = b''

    def wait_for(pattern, timeout):
        nonlocal out
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pattern in out:
                return True
            if not sel.select(timeout=0.5):
                if p.poll() is not None:
                    return pattern in out
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                return pattern in out
            out += chunk
        return pattern in out

    results = []
    ok = wait_for(b'bt86:/# ', 300)
    results.append((ok, 'the busybox shell prompt appears'))
    if ok:
        p.stdin.write(b'echo answer-$((6*7))-$(grep -c ^processor /proc/cpuinfo)\n')
        p.stdin.flush()
        results.append((wait_for(b'answer-42-1', 60), 'the shell runs a command'))
        p.stdin.write(b'reboot -f\n')
        p.stdin.flush()
    try:
        status = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
    results.append((status == 0, 'reboot -f ends bt86 with status 0 (got %d)' % status))
    failed = False
    for i, (good, what) in enumerate(results, 1):
        print('%s %d - %s' % ('ok' if good else 'not ok', i, what))
        failed |= not good
    if failed:
        for line in out.decode('utf-8', 'replace').splitlines()[-30:]:
            print('# ' + line)
    print('1..%d' % len(results))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
