/* pic_serial.c: the UART's transmitter-empty interrupt through the 8259 on IRQ 4: requested, masked, acknowledged, in service until EOI, and waking a HLT. */
#include "guest.h"
#include "x86.h"

/*
 * Expected from the data sheets: the 8259A's (Intel 231468: ICW1-ICW4,
 * OCW1 the mask, OCW2 0x20 a non-specific EOI, OCW3 0x0A/0x0B selecting
 * IRR/ISR for the command port's reads, vector = ICW2 | input), the
 * 16550's (IER bit 1 enables the transmitter-empty interrupt, raised when
 * enabled with the holding register empty; IIR reads 0x02 while it is the
 * source, and reading it clears it) and the PC's wiring (COM1 on IRQ 4,
 * through MCR.OUT2; the slave on IR2), and for the local APIC's LINT0:
 * KVM resets the BSP's to ExtINT, 0x700 (Documentation/virt/kvm/api.rst,
 * KVM_X86_QUIRK_LINT0_REENABLED), so the 8259's INTR reaches the CPU.
 *
 * The runtime's IDT ends at vector 32, so the master's ICW2 is 0x18 and
 * IRQ 4 is vector 28, as a BIOS once put IRQ 0-7 at vectors 8-15.
 */
#define MASTER_CMD 0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD 0xA0
#define SLAVE_DATA 0xA1
#define VECTOR_BASE 0x18
#define IRQ_COM1 4
#define COM1 0x3F8
#define COM1_IER (COM1 + 1)
#define COM1_IIR (COM1 + 2)
#define COM1_MCR (COM1 + 4)
#define APIC_LVT0 ((volatile uint32_t *)0xFEE00350ul)

static volatile unsigned taken;
static volatile uint8_t seen_iir, seen_isr;

static uint8_t read_isr(void)
{
    outb(0x0B, MASTER_CMD);
    uint8_t v = inb(MASTER_CMD);
    outb(0x0A, MASTER_CMD);
    return v;
}

static uint8_t read_irr(void)
{
    outb(0x0A, MASTER_CMD);
    return inb(MASTER_CMD);
}

/* One interrupt: what the UART and the 8259 say inside it, the UART's
 * interrupt switched off (it would come again at once), then EOI. */
static void on_com1(struct ex_regs *regs)
{
    (void)regs;
    taken++;
    seen_iir = inb(COM1_IIR);
    seen_isr = read_isr();
    outb(0, COM1_IER);
    outb(0x20, MASTER_CMD);
}

/* ICW1 (edge, cascade, ICW4), ICW2 the vector bases, ICW3 the cascade
 * on IR2, ICW4 8086 mode; then everything masked. */
static void pic_setup(void)
{
    outb(0x11, MASTER_CMD);
    outb(0x11, SLAVE_CMD);
    outb(VECTOR_BASE, MASTER_DATA);
    outb(VECTOR_BASE + 8, SLAVE_DATA);
    outb(1u << 2, MASTER_DATA);
    outb(2, SLAVE_DATA);
    outb(0x01, MASTER_DATA);
    outb(0x01, SLAVE_DATA);
    outb(0xFF, MASTER_DATA);
    outb(0xFF, SLAVE_DATA);
}

int main(void)
{
    ktap_plan(6);
    __asm__ volatile("cli");
    set_exception_handler(VECTOR_BASE + IRQ_COM1, on_com1);
    ktap_result((*APIC_LVT0 & 0x1F700u) == 0x700u,
                "LINT0 is ExtINT and unmasked after reset (LVT0 0x%x)",
                (unsigned)*APIC_LVT0);
    pic_setup();
    ktap_result(inb(MASTER_DATA) == 0xFF && inb(SLAVE_DATA) == 0xFF,
                "the masks read back");

    /* Masked: the request waits in IRR, nothing is delivered. */
    outb(0x08, COM1_MCR);      /* OUT2 */
    outb(0x02, COM1_IER);      /* enabled with THR empty: requested */
    __asm__ volatile("sti; nop; nop; cli");
    uint8_t irr = read_irr();
    ktap_result(taken == 0 && (irr & (1u << IRQ_COM1)),
                "masked on the 8259: IRR holds IRQ 4, no interrupt (IRR "
                "0x%x, %u taken)", irr, taken);

    /* Unmasked with interrupts off: still nothing until STI. */
    outb((uint8_t)~(1u << IRQ_COM1), MASTER_DATA);
    __asm__ volatile("nop; nop");
    unsigned before_sti = taken;
    __asm__ volatile("sti; nop; nop; cli");
    ktap_result(before_sti == 0 && taken == 1 && seen_iir == 0x02 &&
                    (seen_isr & (1u << IRQ_COM1)),
                "unmasked: one interrupt after STI, at vector %u, IIR "
                "0x02 and IRQ 4 in service inside it (%u taken, IIR 0x%x, "
                "ISR 0x%x)", VECTOR_BASE + IRQ_COM1, taken,
                (unsigned)seen_iir, (unsigned)seen_isr);
    ktap_result(read_isr() == 0 && !(read_irr() & (1u << IRQ_COM1)),
                "after the EOI nothing is in service or requested");

    /* HLT with a request waiting behind STI's shadow: it wakes. */
    taken = 0;
    outb(0x02, COM1_IER);
    __asm__ volatile("sti; hlt; cli");
    ktap_result(taken == 1, "a HLT after STI wakes for IRQ 4 (%u taken)",
                taken);
    outb(0xFF, MASTER_DATA);
    ktap_exit();
}
