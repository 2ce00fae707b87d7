#!/bin/sh
# cli-errors.sh: every bad input gives exactly one line on stderr, starting
# "bt86: " and naming the problem, exit status 1, and nothing on stdout.
# Help and version requests succeed. Output is TAP.
BT86=${BT86:?set BT86 to the bt86 binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0

# check EXPECTED-SUBSTRING ARGS...
check() {
    want=$1
    shift
    n=$((n + 1))
    "$BT86" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    st=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$st" -eq 1 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/out" ] &&
       grep -q '^bt86: ' "$tmp/err" && grep -qF -- "$want" "$tmp/err"; then
        echo "ok $n - $* -> $(cat "$tmp/err")"
    else
        echo "not ok $n - $*: status $st, $lines stderr line(s), wanted '$want'"
        sed 's/^/# stderr: /' "$tmp/err"
        sed 's/^/# stdout: /' "$tmp/out"
        fail=1
    fi
}

# check_ok STDOUT-SUBSTRING ARGS...
check_ok() {
    want=$1
    shift
    n=$((n + 1))
    "$BT86" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    st=$?
    if [ "$st" -eq 0 ] && grep -qF -- "$want" "$tmp/out" && [ ! -s "$tmp/err" ]; then
        echo "ok $n - $* prints '$want'"
    else
        echo "not ok $n - $*: status $st, wanted '$want' on stdout"
        sed 's/^/# /' "$tmp/out" "$tmp/err" | head -20
        fail=1
    fi
}

printf 'not a kernel\n' >"$tmp/notakernel"
head -c 4096 /dev/zero >"$tmp/zeros"
Q="-accel qtest -qtest null"

check "-foo: invalid option" -foo
check "--bogus: invalid option" --bogus
check "stray: unexpected argument" stray
check "-kernel: requires an argument" -kernel
check "-m abc: expected a size" -m abc
check "-m 0: expected a size" -m 0
check "-m 99T: more memory than this host has" -m 99T
check "-m 12Q: expected a size" -m 12Q
check "-smp 0: the number of CPUs must be" -smp 0
check "-smp 1000: the number of CPUs must be" -smp 1000
check "-smp cpus=2,bogus=1: unknown parameter 'bogus'" -smp cpus=2,bogus=1
check "-machine q35: unsupported machine type" -machine q35
check "kernel-irqchip=maybe: expected on or off" -machine pc,kernel-irqchip=maybe
check "-cpu pentium9: unknown CPU model" -cpu pentium9
check "-display gtk: no graphical display" -display gtk
check "-accel foo: unknown accelerator" -accel foo
check "backend must be native or interp" -accel tcg,backend=jit
check "-d bogus: unknown log item" -d bogus
check "-D $tmp/nodir/log: No such file or directory" -D "$tmp/nodir/log"
check "-kernel /nonexistent/vmlinuz: No such file or directory" $Q -kernel /nonexistent/vmlinuz
check "-kernel $tmp: is a directory" $Q -kernel "$tmp"
check "-initrd /nonexistent/initrd: No such file or directory" $Q -kernel "$tmp/notakernel" -initrd /nonexistent/initrd
check "-bios /nonexistent/bios.bin: No such file or directory" $Q -bios /nonexistent/bios.bin
check "-append only makes sense with -kernel" $Q -append "console=ttyS0"
check "not a Linux bzImage or Multiboot kernel" $Q -kernel "$tmp/notakernel"
check "not a Linux bzImage or Multiboot kernel" $Q -kernel "$tmp/zeros"
check "-bios $tmp/notakernel: a firmware image must be" $Q -bios "$tmp/notakernel"
check "-device nosuch: no such device" $Q -device nosuch
check "unknown property 'bogus'" $Q -device isa-debug-exit,bogus=1
check "iobase=zz: expected a number" $Q -device isa-debug-exit,iobase=zz
check "'mc146818rtc' is built into the board" $Q -device mc146818rtc
check "-serial bogus:x: unknown chardev backend" $Q -serial bogus:x
check "-chardev bogus,id=x: unknown chardev backend 'bogus'" $Q -chardev bogus,id=x
check "-chardev socket,id=c: socket: give either path=" $Q -chardev socket,id=c
check "-chardev file,id=f: file: path= is required" $Q -chardev file,id=f
check "-chardev null: missing id=" $Q -chardev null
check "chardev=nosuch: no chardev with that id" $Q -device isa-serial,chardev=nosuch
check "IO port 0x3f8 is already used" $Q -serial null -device isa-serial,iobase=0x3f8
check "-qtest needs -accel qtest" -accel kvm -qtest null -kernel "$tmp/notakernel"
check "nothing to boot" -accel kvm
check_ok "Usage: bt86" --help
check_ok "Usage: bt86" -h
check_ok "bt86 version" --version
check_ok "isa-debug-exit" -device help
check_ok "iobase" -device isa-debug-exit,help
check_ok "in_asm" -d help
check_ok "pc " -machine help

echo "1..$n"
exit $fail
