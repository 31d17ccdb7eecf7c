/* serial.c: polled output on the COM1 16550, one status poll per 16-byte FIFO burst. */
#include "guest.h"

#define FIFO_SIZE 16

/* Bytes that still fit in the transmit FIFO since THRE was last seen set
 * (THRE set means the whole FIFO is empty). Every port access is a VM
 * exit, so polling per burst instead of per byte saves one exit a byte. */
static unsigned fifo_free;

void serial_putc(char c)
{
    if (fifo_free == 0) {
        while (!(inb(COM1_LSR) & LSR_THRE))
            ;
        fifo_free = FIFO_SIZE;
    }
    outb((uint8_t)c, COM1);
    fifo_free--;
}

void serial_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        serial_putc(s[i]);
}
