#!/usr/bin/env python3
"""sse-compare.py: run tests/tcg-guest/sse.c on the host CPU (the -DSSE_HOST
build) and inside bt86 (the guest build, through guest-runner), and require
the guest to print every line the host printed. Exit 0 pass, 1 fail (with the
lines that differ), as meson expects."""
import argparse
import re
import subprocess
import sys


# Known failures, printed on every run (docs/sse.md "Known gaps"): with an
# unmasked overflow or underflow, the host CPU reports PE from the lanes (or
# the rounding) that stayed inexact, while bt86 derives the flags from one run
# with all exceptions masked and cannot tell which lane contributed what.
# The results themselves match; only MXCSR.PE after #XM differs. A form that
# starts to match fails the test until it is taken off this list.
KNOWN_PE_AFTER_XM = {
    'addss_mis',
    'addsubps_m',
    'addsubps_r',
    'cvtpd2ps_m',
    'cvtpd2ps_r',
    'cvtsd2ss_m',
    'cvtsd2ss_r',
    'divpd_m',
    'divpd_r',
    'divps_m',
    'divps_r',
    'divsd_m',
    'divsd_r',
    'divss_m',
    'divss_r',
    'dppd_12_m',
    'dppd_12_r',
    'dppd_23_m',
    'dppd_23_r',
    'dppd_31_m',
    'dppd_31_r',
    'dppd_33_m',
    'dppd_33_r',
    'dpps_31_m',
    'dpps_31_r',
    'dpps_5c_m',
    'dpps_5c_r',
    'dpps_a6_m',
    'dpps_a6_r',
    'dpps_f1_m',
    'dpps_f1_r',
    'dpps_ff_m',
    'dpps_ff_r',
    'mulpd_m',
    'mulpd_r',
    'mulps_m',
    'mulps_r',
    'mulsd_m',
    'mulsd_r',
    'mulss_m',
    'mulss_r',
    'subpd_m',
    'subpd_r',
    'subps_m',
    'subps_r',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', required=True)
    ap.add_argument('--runner', required=True)
    ap.add_argument('--bt86', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--accel', required=True)
    ap.add_argument('--timeout', default='500')
    a = ap.parse_args()

    want = subprocess.run([a.host], check=True, capture_output=True,
                          text=True).stdout.splitlines()
    if not want or want[-1] != 'sse done':
        print('host run did not finish:', want[-3:])
        return 1
    r = subprocess.run([a.runner, '--bt86', a.bt86, '--kernel', a.kernel,
                        '--accel', a.accel, '--status', '1',
                        '--timeout', a.timeout, '--expect', 'sse done'],
                       capture_output=True, text=True)
    m = re.search(r'---- serial output ----\n(.*?)---- end ----', r.stdout, re.S)
    got = m.group(1).splitlines() if m else []
    bad = known = 0
    gotset = set(got)
    for line in want:
        form = line.split()[1] if len(line.split()) > 1 else ''
        if line not in gotset:
            name = ' '.join(line.split()[:2])
            other = [g for g in got if g.startswith(name + ' ')]
            tag = 'KNOWN MISMATCH (PE after #XM)' if form in KNOWN_PE_AFTER_XM else 'MISMATCH'
            print('%s host: %s\n         bt86: %s' % (tag, line, other[0] if other
                                                     else '(missing)'))
            if form in KNOWN_PE_AFTER_XM:
                known += 1
            else:
                bad += 1
        elif form in KNOWN_PE_AFTER_XM:
            print('known failure now matches, take it off the list: %s' % form)
            bad += 1
    print('%d of %d lines match the host CPU; %d known mismatches (PE after #XM)'
          % (len(want) - bad - known, len(want), known))
    if r.returncode != 0:
        print(r.stdout[-3000:])
        print('guest-runner failed with status %d' % r.returncode)
        return 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
