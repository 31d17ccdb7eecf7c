/* stub.c: a stand-in for a Linux kernel: entered as the 64-bit boot protocol enters one, it reports on COM1 what the boot loader handed over, probes the platform a kernel finds, and resets the machine through the keyboard controller. */
#include <stddef.h>
#include <stdint.h>

/*
 * What it reports is what Documentation/arch/x86/boot.rst says a boot
 * loader gives a kernel at its 64-bit entry: RSI the zero page (struct
 * boot_params: the setup header, type_of_loader, cmd_line_ptr, the
 * initrd's place and size, the e820 table), long mode with paging on and
 * the low memory identity-mapped, CS __BOOT_CS (0x10) and the data
 * segments __BOOT_DS (0x18), interrupts off. tests/integration/
 * linux_boot.sh holds the lines to what that document and --mem,
 * --append and --initrd say they must be. The zero page's offsets are
 * the document's ("The zero page" table), not a header's.
 */

void stub_main(const uint8_t *zp);

__asm__(".section .text.entry, \"ax\"\n"
        ".globl _start\n"
        "_start:\n"
        "    lea stack_top(%rip), %rsp\n"
        "    mov %rsi, %rdi\n"
        "    call stub_main\n"
        "1:  hlt\n"
        "    jmp 1b\n"
        ".section .bss\n"
        ".balign 16\n"
        "    .skip 8192\n"
        "stack_top:\n"
        ".text\n");

/* bss the loader must clear: extern, so that the compiler cannot know it
 * is zero */
extern uint8_t stub_zeroed[4096];
uint8_t stub_zeroed[4096];

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc_com1(char c)
{
    while (!(inb(0x3FD) & 0x20)) /* LSR.THRE */
        ;
    outb(0x3F8, (uint8_t)c);
}

static void puts_com1(const char *s)
{
    while (*s)
        putc_com1(*s++);
}

static void hex(uint64_t v)
{
    char b[19] = "0x";
    int n = 0;
    for (uint64_t t = v; n == 0 || t; t >>= 4)
        n++;
    for (int i = 0; i < n; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (4 * (n - 1 - i))) & 15];
    b[2 + n] = 0;
    puts_com1(b);
}

static uint64_t get(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void line(const char *what, uint64_t v)
{
    puts_com1(what);
    puts_com1(" ");
    hex(v);
    puts_com1("\n");
}

/* The PC a kernel probes (--machine=linux): an MP floating pointer in
 * the last KiB of base memory, the CMOS RTC's register D (0x80: valid),
 * the keyboard controller's self-test (0x55), whether the PIT's
 * channel 0 counts down (its count latched twice), and CPUID's
 * hypervisor bit. */
static void platform(void)
{
    const volatile char *mp = (const volatile char *)0x9FC00;
    line("mp_table", mp[0] == '_' && mp[1] == 'M' && mp[2] == 'P' &&
                         mp[3] == '_');
    outb(0x70, 0x0D);
    line("rtc_register_d", inb(0x71));
    outb(0x64, 0xAA);
    line("kbc_self_test", inb(0x60));
    outb(0x43, 0x34); /* channel 0, low then high byte, mode 2 */
    outb(0x40, 0xFF);
    outb(0x40, 0xFF);
    unsigned first = 0, later = 0;
    for (int i = 0; i < 2; i++) {
        for (volatile int spin = 0; spin < 100000; spin++)
            ;
        outb(0x43, 0x00); /* latch channel 0 */
        unsigned c = inb(0x40);
        c |= (unsigned)inb(0x40) << 8;
        if (i == 0)
            first = c;
        else
            later = c;
    }
    line("pit_counts", first != 0xFFFF && later != first);
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    line("cpuid_hypervisor", c >> 31);
}

/* With "input" on the command line: a line from COM1, polled (LSR's
 * data ready), and what IIR says while a byte waits with the
 * received-data interrupt enabled (IER bit 0): 0x4. Gives up after a
 * while with what it has. */
static void input(void)
{
    char buf[64];
    unsigned n = 0, iir = 0;

    outb(0x3F9, 0x01);
    for (unsigned long polls = 0; polls < 100000000 && n < sizeof buf - 1;
         polls++) {
        if (!(inb(0x3FD) & 0x01))
            continue;
        if (!n)
            iir = inb(0x3FA);
        char c = (char)inb(0x3F8);
        if (c == '\n')
            break;
        buf[n++] = c;
    }
    outb(0x3F9, 0x00);
    buf[n] = 0;
    puts_com1("input '");
    puts_com1(buf);
    puts_com1("'\n");
    line("input_iir", iir);
    line("input_after", inb(0x3FD) & 0x01); /* the rest, after the line */
}

void stub_main(const uint8_t *zp)
{
    uint16_t cs, ds, ss;
    uint64_t cr0, cr4, flags;
    uint32_t efer_lo, efer_hi;

    __asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2"
                     : "=r"(cs), "=r"(ds), "=r"(ss));
    __asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
    __asm__ volatile("rdmsr" : "=a"(efer_lo), "=d"(efer_hi) : "c"(0xC0000080));
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    line("zero_page", (uint64_t)(uintptr_t)zp);
    line("cs", cs);
    line("ds", ds);
    line("ss", ss);
    line("long_mode", (cr0 >> 31 & 1) && (cr4 >> 5 & 1) && (efer_lo >> 10 & 1));
    line("interrupts", flags >> 9 & 1);
    line("boot_flag", get(zp + 0x1FE, 2));
    line("header", get(zp + 0x202, 4));
    line("version", get(zp + 0x206, 2));
    line("type_of_loader", get(zp + 0x210, 1));
    uint64_t bss = 0;
    for (size_t i = 0; i < sizeof(stub_zeroed); i++)
        bss |= ((volatile uint8_t *)stub_zeroed)[i];
    line("bss", bss);
    unsigned n = (unsigned)get(zp + 0x1E8, 1);
    line("e820_entries", n);
    for (unsigned i = 0; i < n && i < 128; i++) {
        const uint8_t *e = zp + 0x2D0 + 20 * i;
        puts_com1("e820 ");
        hex(get(e, 8));
        puts_com1(" ");
        hex(get(e + 8, 8));
        puts_com1(" ");
        hex(get(e + 16, 4));
        puts_com1("\n");
    }
    const char *cmdline = (const char *)(uintptr_t)get(zp + 0x228, 4);
    puts_com1("cmdline '");
    puts_com1(cmdline);
    puts_com1("'\n");
    uint64_t rd = get(zp + 0x218, 4) | get(zp + 0xC0, 4) << 32;
    uint64_t rd_len = get(zp + 0x21C, 4) | get(zp + 0xC4, 4) << 32;
    line("initrd_size", rd_len);
    line("initrd_page_aligned", (rd & 0xFFF) == 0);
    if (rd_len) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)rd;
        uint32_t sum = 0;
        for (uint64_t i = 0; i < rd_len; i++)
            sum = sum * 31 + p[i];
        line("initrd_end", rd + rd_len);
        line("initrd_hash", sum);
    }
    platform();
    if (cmdline[0] == 'i' && cmdline[1] == 'n')
        input();
    /* the keyboard controller's reset pulse, as Linux's reboot=k; the
     * exit port's 1 only if the machine did not reset */
    outb(0x64, 0xFE);
    outb(0xF4, 1);
}
