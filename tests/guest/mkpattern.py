#!/usr/bin/env python3
# mkpattern.py OUT [SIZE]: a firmware-sized file whose byte i is (i * 7 + 3) & 0xff,
# so a guest (tests/guest/memmap.c) can tell exactly which ROM byte it read.
import sys

size = int(sys.argv[2], 0) if len(sys.argv) > 2 else 0x10000
with open(sys.argv[1], 'wb') as f:
    f.write(bytes((i * 7 + 3) & 0xff for i in range(size)))
