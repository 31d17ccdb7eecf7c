/* serial.c: enough of a 16550 UART at COM1 (0x3F8) for polled output. */
#include "devices/serial.h"

/* Register offsets from the base port. */
enum { THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6,
       SCR = 7 };

#define LCR_DLAB 0x80
#define LSR_THRE 0x20 /* transmit holding register (FIFO) empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define IIR_NO_INTERRUPT 0x01
#define MSR_DCD_DSR_CTS 0xB0

void serial_init(struct serial *s, void (*out)(void *ctx, uint8_t byte),
                 void *ctx)
{
    *s = (struct serial){.out = out, .ctx = ctx, .dll = 1};
}

void serial_write(struct serial *s, unsigned reg, uint8_t val)
{
    bool dlab = s->lcr & LCR_DLAB;
    switch (reg) {
    case THR:
        if (dlab)
            s->dll = val;
        else
            s->out(s->ctx, val);
        break;
    case IER:
        if (dlab)
            s->dlm = val;
        else
            s->ier = val & 0x0F;
        break;
    case LCR:
        s->lcr = val;
        break;
    case MCR:
        s->mcr = val & 0x1F;
        break;
    case SCR:
        s->scr = val;
        break;
    default: /* FCR, and the read-only LSR and MSR */
        break;
    }
}

uint8_t serial_read(struct serial *s, unsigned reg)
{
    bool dlab = s->lcr & LCR_DLAB;
    switch (reg) {
    case THR: /* RBR: nothing is ever received */
        return dlab ? s->dll : 0;
    case IER:
        return dlab ? s->dlm : s->ier;
    case IIR:
        return IIR_NO_INTERRUPT;
    case LCR:
        return s->lcr;
    case MCR:
        return s->mcr;
    case LSR: /* output never blocks: pmvm takes each byte at once */
        return LSR_THRE | LSR_TEMT;
    case MSR:
        return MSR_DCD_DSR_CTS;
    case SCR:
        return s->scr;
    default:
        return 0xFF;
    }
}

static int serial_io(void *dev, uint16_t offset, unsigned size, bool in,
                     uint32_t *value)
{
    (void)size;
    if (in)
        *value = serial_read(dev, offset);
    else
        serial_write(dev, offset, *value & 0xFF);
    return BUS_CONTINUE;
}

bool serial_attach(struct serial *s, struct bus *b)
{
    return bus_register(b, SERIAL_COM1, SERIAL_NPORTS, serial_io, s);
}
