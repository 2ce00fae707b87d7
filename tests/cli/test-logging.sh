#!/bin/sh
# test-logging.sh: -d in_asm,op,op_opt,out_asm,int -D FILE under -accel tcg
# writes each log item: guest code disassembled by Capstone with its bytes,
# the IR before and after optimization, and host code. Without -d the log
# file stays empty. Output is TAP. Needs BT86 and GUEST (hello32.elf).
BT86=${BT86:?set BT86 to the bt86 binary}
GUEST=${GUEST:?set GUEST to hello32.elf}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0

run() {
    "$BT86" -accel tcg -nographic -m 64 -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$GUEST" "$@" \
        >"$tmp/out" 2>"$tmp/err" </dev/null
}

# expect DESCRIPTION PATTERN (grep -E on the log)
expect() {
    n=$((n + 1))
    if grep -qE -- "$2" "$tmp/log"; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1: no line matching '$2'"
        head -20 "$tmp/log" | sed 's/^/# /'
        fail=1
    fi
}

run -d in_asm,op,op_opt,out_asm -D "$tmp/log"
# hello32 starts with cli; cld; ... lgdt [abs]; ljmp 8:... (tests/guest/crt0.S).
expect "in_asm: block header" '^IN: pc 0x[0-9a-f]+ cs_base 0x?[0-9a-f]* flags 0x[0-9a-f]+$'
expect "in_asm: bytes and Capstone text" '^  0x[0-9a-f]{8}:  fa +cli$'
expect "in_asm: far jump operands" 'ea [0-9a-f ]+ +ljmp 8:0x[0-9a-f]+$'
expect "in_asm: lgdt memory operand" '0f 01 15 [0-9a-f ]+ +lgdt \[0x[0-9a-f]+\]$'
expect "out_asm: host code" '^OUT: \[size=[0-9]+\]$'
expect "op: IR with instruction markers" '^ +---- [0-9a-f]{16} '

run -D "$tmp/log"
n=$((n + 1))
if [ ! -s "$tmp/log" ]; then
    echo "ok $n - no -d: log file empty"
else
    echo "not ok $n - no -d: log file has $(wc -l <"$tmp/log") lines"
    fail=1
fi
echo "1..$n"
exit $fail
