/* serial.c: polled output on the COM1 16550, one status poll and one rep outsb per 16-byte FIFO burst. */
#include "guest.h"

#define FIFO_SIZE 16

/* Bytes that still fit in the transmit FIFO since THRE was last seen set
 * (THRE set means the whole FIFO is empty). Every port access is a VM
 * exit, so polling per burst instead of per byte saves one exit a byte;
 * and on the PVM host every CPL0 instruction is emulated, so a burst goes
 * out with a single rep outsb. */
static unsigned fifo_free;

void serial_write(const char *s, size_t len)
{
    while (len) {
        size_t n;

        if (fifo_free == 0) {
            while (!(inb(COM1_LSR) & LSR_THRE))
                ;
            fifo_free = FIFO_SIZE;
        }
        n = len < fifo_free ? len : fifo_free;
        outsb(COM1, s, n);
        fifo_free -= n;
        s += n;
        len -= n;
    }
}

void serial_putc(char c)
{
    serial_write(&c, 1);
}
