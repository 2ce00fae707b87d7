#!/usr/bin/env python3
"""test-summary.py: read meson's testlog.json and print one closing line,
"N passed, N failed, N skipped".

A test that speaks TAP (the GLib unit tests with --tap, the shell tests)
counts each of its TAP cases; any other test counts once. A test whose process
failed (crash, timeout, bad exit) counts as failed even if its TAP lines said ok.
Exit status: 0 if nothing failed."""
import json
import re
import sys

TAP_OK = re.compile(r'^ok\b(.*)$')
TAP_NOT_OK = re.compile(r'^not ok\b(.*)$')


def main(path):
    passed = failed = skipped = 0
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print(f"test-summary: {path}: {e.strerror}", file=sys.stderr)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        result = t.get('result', '')
        out = t.get('stdout') or ''
        p = f = s = 0
        if t.get('protocol') == 'tap' or re.search(r'^1\.\.\d+', out, re.M):
            for l in out.splitlines():
                m = TAP_OK.match(l)
                if m:
                    if re.search(r'#\s*skip', m.group(1), re.I):
                        s += 1
                    else:
                        p += 1
                elif TAP_NOT_OK.match(l):
                    if re.search(r'#\s*todo', l, re.I):
                        s += 1
                    else:
                        f += 1
        if p + f + s == 0:
            if result in ('OK', 'EXPECTEDFAIL'):
                p = 1
            elif result == 'SKIP':
                s = 1
            else:
                f = 1
        elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and f == 0:
            f = 1   # the process failed even though its cases said ok
        passed += p
        failed += f
        skipped += s
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'build/meson-logs/testlog.json'))
