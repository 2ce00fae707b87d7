#!/usr/bin/env python3
"""test-console.py: the -nographic console on a real terminal (a pty).

bt86 runs with no CPU (-accel qtest) and the test plays both the user at the
terminal and, over the harness socket, the guest reading and writing COM1:
  - typing reaches the guest (bytes appear in the UART's receive buffer);
  - guest output reaches the terminal;
  - Ctrl-a h prints help, Ctrl-a x quits with status 0;
  - the terminal's mode is restored at exit.
Output is TAP."""
import os
import pty
import select
import socket
import subprocess
import sys
import tempfile
import termios
import time

BT86 = os.environ['BT86']
results = []


def ok(cond, what):
    results.append((bool(cond), what))
    print(f"{'ok' if cond else 'not ok'} {len(results)} - {what}", flush=True)


class Harness:
    def __init__(self, conn):
        self.conn = conn
        self.buf = b''

    def cmd(self, line):
        self.conn.sendall(line.encode() + b'\n')
        while True:
            while b'\n' not in self.buf:
                r, _, _ = select.select([self.conn], [], [], 10)
                if not r:
                    raise TimeoutError(line)
                data = self.conn.recv(4096)
                if not data:
                    raise EOFError(line)
                self.buf += data
            reply, self.buf = self.buf.split(b'\n', 1)
            reply = reply.decode()
            if reply.startswith('OK') or reply.startswith('ERR'):
                return reply


def read_pty(fd, want, timeout=10):
    out = b''
    end = time.time() + timeout
    while want not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


def main():
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, 'h.sock')
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([BT86, '-accel', 'qtest', '-qtest', 'unix:' + path,
                             '-nographic'],
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    srv.settimeout(20)
    conn, _ = srv.accept()
    h = Harness(conn)

    # The console is in raw mode while bt86 runs.
    time.sleep(0.2)
    during = termios.tcgetattr(slave)
    ok(not (during[3] & termios.ICANON) and not (during[3] & termios.ECHO),
       'terminal is raw (no ICANON, no ECHO) while running')

    # Typing reaches the guest: bytes show up in COM1's receive buffer.
    os.write(master, b'hi')
    got = b''
    end = time.time() + 10
    while len(got) < 2 and time.time() < end:
        lsr = int(h.cmd('inb 0x3fd').split()[1], 0)
        if lsr & 1:
            got += bytes([int(h.cmd('inb 0x3f8').split()[1], 0)])
        else:
            time.sleep(0.02)
    ok(got == b'hi', f"typed 'hi' read from COM1 RBR (got {got!r})")

    # Guest output reaches the terminal.
    for c in b'Zq':
        h.cmd(f'outb 0x3f8 {c:#x}')
    out = read_pty(master, b'Zq')
    ok(b'Zq' in out, f'COM1 THR output appears on the terminal (got {out!r})')

    # Ctrl-a Ctrl-a sends one literal Ctrl-a to the guest.
    os.write(master, b'\x01\x01')
    got = b''
    end = time.time() + 10
    while not got and time.time() < end:
        if int(h.cmd('inb 0x3fd').split()[1], 0) & 1:
            got = bytes([int(h.cmd('inb 0x3f8').split()[1], 0)])
        else:
            time.sleep(0.02)
    ok(got == b'\x01', f'Ctrl-a Ctrl-a reaches the guest as one Ctrl-a (got {got!r})')

    os.write(master, b'\x01h')
    out = read_pty(master, b'C-a x')
    ok(b'C-a x' in out, 'Ctrl-a h prints the escape help')

    os.write(master, b'\x01x')
    try:
        status = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = None
    ok(status == 0, f'Ctrl-a x quits with status 0 (got {status})')
    after = termios.tcgetattr(slave)
    ok(after[3] == before[3] and after[0] == before[0] and after[1] == before[1],
       'terminal mode restored at exit')
    conn.close()
    os.close(master)
    os.close(slave)
    print(f'1..{len(results)}')
    return 0 if all(r for r, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
