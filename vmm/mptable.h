/* mptable.h: the Intel MultiProcessor Specification table a Linux guest finds its CPU, ISA bus, I/O APIC and interrupt wiring in (--machine=linux, without ACPI). */
#ifndef PMVM_MPTABLE_H
#define PMVM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Where the table goes: the last KiB of conventional memory, which the
 * e820 map reserves and the kernel scans (as Firecracker places it). */
#define MPTABLE_AT 0x9FC00u

/* The floating pointer and the configuration table for one CPU (APIC ID
 * 0, (cpu_signature) and (cpu_features): CPUID.1's EAX and EDX), an ISA
 * bus, the I/O APIC at 0xFEC00000 and ISA IRQs 0-15 on its pins 0-15
 * (as KVM's default routing wires them), written into (buf), which is
 * guest RAM from MPTABLE_AT on, (len) bytes. Returns the bytes written,
 * or 0 if they do not fit. */
size_t mptable_write(uint8_t *buf, size_t len, uint32_t cpu_signature,
                     uint32_t cpu_features);

#endif
