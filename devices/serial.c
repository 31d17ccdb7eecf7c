/* serial.c: enough of a 16550 UART at COM1 (0x3F8) for a console: output, polled or by the transmitter-empty interrupt, and input by the received-data interrupt. */
#include "devices/serial.h"

/* Register offsets from the base port. */
enum { THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6,
       SCR = 7 };

#define LCR_DLAB 0x80
#define LSR_DR 0x01   /* data ready: a received byte waits in RBR */
#define IIR_RDA 0x04  /* received data available */
#define IER_ERBFI 0x01 /* enable the received-data interrupt */
#define FCR_CLEAR_RX 0x02
#define LSR_THRE 0x20 /* transmit holding register (FIFO) empty */
#define LSR_TEMT 0x40 /* transmitter empty */
#define IIR_NO_INTERRUPT 0x01
#define IIR_THRE 0x02
#define IER_ETBEI 0x02 /* enable the transmitter-empty interrupt */
#define MCR_OUT2 0x08  /* the PC gates the UART's interrupt with OUT2 */
#define MSR_DCD_DSR_CTS 0xB0

/*
 * The interrupts as the 16550 data sheet (National Semiconductor
 * PC16550D, "Interrupt Identification Register") has them, by priority:
 * received data available while a byte waits and IER enables it (cleared
 * by reading RBR until none is left); then transmitter empty, raised when
 * the holding register empties, and when it is enabled while the register
 * is empty, cleared by reading IIR while it is the source shown, or by
 * writing THR. pmvm takes each byte sent at once, so the register is
 * empty again right after a write, and the interrupt is raised again.
 * Received bytes wait in a buffer deeper than the chip's FIFO (the host's
 * input is not paced by a baud rate); the UART says it has no FIFO, as a
 * 16450, and a guest reads them one at a time from RBR.
 */
static bool rda(const struct serial *s)
{
    return s->rx_len && (s->ier & IER_ERBFI);
}

static void update_irq(struct serial *s)
{
    bool level = (rda(s) || (s->thre && (s->ier & IER_ETBEI))) &&
                 (s->mcr & MCR_OUT2);

    if (s->irq && level != s->line)
        s->irq(s->irq_ctx, level);
    s->line = level;
}

size_t serial_receive(struct serial *s, const uint8_t *bytes, size_t len)
{
    size_t n = 0;
    for (; n < len && s->rx_len < SERIAL_RX_BUF; n++)
        s->rx[(s->rx_head + s->rx_len++) % SERIAL_RX_BUF] = bytes[n];
    update_irq(s);
    return n;
}

static uint8_t rx_take(struct serial *s)
{
    if (!s->rx_len)
        return 0;
    uint8_t v = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_RX_BUF;
    s->rx_len--;
    return v;
}

void serial_init(struct serial *s, void (*out)(void *ctx, uint8_t byte),
                 void *ctx)
{
    *s = (struct serial){.out = out, .ctx = ctx, .dll = 1, .thre = true};
}

void serial_connect_irq(struct serial *s,
                        void (*irq)(void *irq_ctx, bool level),
                        void *irq_ctx)
{
    s->irq = irq;
    s->irq_ctx = irq_ctx;
    update_irq(s);
}

void serial_write(struct serial *s, unsigned reg, uint8_t val)
{
    bool dlab = s->lcr & LCR_DLAB;
    switch (reg) {
    case THR:
        if (dlab) {
            s->dll = val;
            break;
        }
        s->out(s->ctx, val);
        s->thre = false;
        update_irq(s);
        s->thre = true; /* sent at once: empty again */
        break;
    case IER:
        if (dlab) {
            s->dlm = val;
            break;
        }
        if ((val & IER_ETBEI) && !(s->ier & IER_ETBEI))
            s->thre = true; /* enabled while empty */
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
    case IIR: /* FCR: no FIFO to enable, but clearing input works */
        if (val & FCR_CLEAR_RX)
            s->rx_len = 0;
        break;
    default: /* the read-only LSR and MSR */
        break;
    }
    update_irq(s);
}

uint8_t serial_read(struct serial *s, unsigned reg)
{
    bool dlab = s->lcr & LCR_DLAB;
    switch (reg) {
    case THR: { /* RBR */
        if (dlab)
            return s->dll;
        uint8_t v = rx_take(s);
        update_irq(s);
        return v;
    }
    case IER:
        return dlab ? s->dlm : s->ier;
    case IIR:
        if (rda(s))
            return IIR_RDA;
        if (s->thre && (s->ier & IER_ETBEI)) {
            s->thre = false; /* read as the source: cleared */
            update_irq(s);
            return IIR_THRE;
        }
        return IIR_NO_INTERRUPT;
    case LCR:
        return s->lcr;
    case MCR:
        return s->mcr;
    case LSR: /* output never blocks: pmvm takes each byte at once */
        return LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
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
