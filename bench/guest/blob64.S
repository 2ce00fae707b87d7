/*
 * blob64.S: embeds the flat 64-bit benchmark image (bench64.bin, produced from
 * the 64-bit objects by objcopy -O binary) into the 32-bit Multiboot ELF, in
 * the .bench64 section that link32.ld places at its link address, 2 MiB.
 * Multiboot v1 loaders only take ELF32 (or the a.out kludge), so a 64-bit
 * kernel travels inside a 32-bit one. The assembler finds the file through -I.
 */
    .section .bench64, "awx", @progbits
    .incbin "bench64.bin"

    .section .note.GNU-stack, "", @progbits
