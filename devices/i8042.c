/* i8042.c: the keyboard controller: its command byte, self-tests, port enables, output port, loop-back and reset, with nothing plugged into its keyboard and mouse ports. */
#include <string.h>

#include "devices/i8042.h"

/*
 * The controller's commands and status bits are IBM's "Keyboard/
 * Auxiliary Device Controller" (PS/2 Hardware Interface Technical
 * Reference) as Linux's drivers/input/serio/i8042.h names them. The
 * controller is modelled; the devices behind it are not there: a byte
 * sent to the keyboard or the mouse is answered 0xFE (resend), as a port
 * with nothing on it times out, so that Linux's atkbd and psmouse give up
 * at once instead of waiting for each command's timeout. Firecracker's
 * devices/legacy/i8042.rs is a smaller controller of the same kind.
 */
#define STR_OBF 0x01
#define STR_SYS 0x04    /* the self-test passed (the system flag) */
#define STR_AUXDATA 0x20

#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

enum {
    CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60, CMD_AUX_DISABLE = 0xA7,
    CMD_AUX_ENABLE = 0xA8, CMD_AUX_TEST = 0xA9, CMD_SELF_TEST = 0xAA,
    CMD_KBD_TEST = 0xAB, CMD_KBD_DISABLE = 0xAD, CMD_KBD_ENABLE = 0xAE,
    CMD_READ_OUTP = 0xD0, CMD_WRITE_OUTP = 0xD1, CMD_KBD_LOOP = 0xD2,
    CMD_AUX_LOOP = 0xD3, CMD_AUX_SEND = 0xD4, CMD_RESET = 0xFE,
};

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00
#define DEVICE_RESEND 0xFE
#define OUTP_RESET 0x01 /* low: the CPU is held in reset */

void i8042_init(struct i8042 *k, int reset_status,
                void (*irq)(void *ctx, unsigned irq, bool level), void *ctx)
{
    memset(k, 0, sizeof *k);
    k->ctr = CTR_KBDINT | CTR_SYS | CTR_XLATE;
    k->outp = OUTP_RESET | 0x02; /* bit 1: the A20 gate, open */
    k->irq = irq;
    k->irq_ctx = ctx;
    k->reset_status = reset_status;
}

/* IRQ 1 is high while a keyboard byte waits and CTR enables it, IRQ 12
 * likewise for a mouse byte. */
static void update_irqs(struct i8042 *k)
{
    bool aux = k->n && k->out_aux[k->head];
    bool level[2] = {k->n && !aux && (k->ctr & CTR_KBDINT),
                     k->n && aux && (k->ctr & CTR_AUXINT)};
    static const unsigned irqs[2] = {I8042_KBD_IRQ, I8042_AUX_IRQ};

    for (unsigned i = 0; i < 2; i++) {
        if (k->irq && level[i] != k->line[i])
            k->irq(k->irq_ctx, irqs[i], level[i]);
        k->line[i] = level[i];
    }
}

static void put(struct i8042 *k, uint8_t byte, bool aux)
{
    if (k->n == I8042_QUEUE)
        return; /* a full buffer drops it, as the hardware would */
    unsigned at = (k->head + k->n++) % I8042_QUEUE;
    k->out[at] = byte;
    k->out_aux[at] = aux;
}

static uint8_t status(const struct i8042 *k)
{
    uint8_t s = STR_SYS;
    if (k->n)
        s |= STR_OBF | (k->out_aux[k->head] ? STR_AUXDATA : 0);
    return s;
}

static uint8_t take(struct i8042 *k)
{
    if (!k->n)
        return 0; /* the last byte again on hardware; nothing here */
    uint8_t v = k->out[k->head];
    k->head = (k->head + 1) % I8042_QUEUE;
    k->n--;
    return v;
}

/* A command on port 0x64; BUS_CONTINUE or the reset's status. */
static int command(struct i8042 *k, uint8_t cmd)
{
    k->pending = 0;
    switch (cmd) {
    case CMD_READ_CTR: put(k, k->ctr, false); break;
    case CMD_WRITE_CTR: case CMD_WRITE_OUTP: case CMD_KBD_LOOP:
    case CMD_AUX_LOOP: case CMD_AUX_SEND:
        k->pending = cmd;
        break;
    case CMD_AUX_DISABLE: k->ctr |= CTR_AUXDIS; break;
    case CMD_AUX_ENABLE: k->ctr &= (uint8_t)~CTR_AUXDIS; break;
    case CMD_KBD_DISABLE: k->ctr |= CTR_KBDDIS; break;
    case CMD_KBD_ENABLE: k->ctr &= (uint8_t)~CTR_KBDDIS; break;
    case CMD_SELF_TEST: put(k, SELF_TEST_OK, false); break;
    case CMD_KBD_TEST: case CMD_AUX_TEST: put(k, PORT_TEST_OK, false); break;
    case CMD_READ_OUTP: put(k, k->outp, false); break;
    case CMD_RESET: return k->reset_status;
    default: break; /* others (password, mux, pulses) do nothing here */
    }
    return BUS_CONTINUE;
}

/* A byte on port 0x60: a pending command's data, else for the keyboard. */
static int data(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending;
    k->pending = 0;
    switch (cmd) {
    case CMD_WRITE_CTR: k->ctr = v; break;
    case CMD_WRITE_OUTP:
        k->outp = v;
        if (!(v & OUTP_RESET))
            return k->reset_status;
        break;
    case CMD_KBD_LOOP: put(k, v, false); break;
    case CMD_AUX_LOOP: put(k, v, true); break;
    case CMD_AUX_SEND: put(k, DEVICE_RESEND, true); break;
    default: put(k, DEVICE_RESEND, false); break;
    }
    return BUS_CONTINUE;
}

int i8042_access(struct i8042 *k, uint16_t port, bool in, uint32_t *value)
{
    int r = BUS_CONTINUE;
    if (in)
        *value = port == I8042_CMD_PORT ? status(k) : take(k);
    else if (port == I8042_CMD_PORT)
        r = command(k, *value & 0xFF);
    else
        r = data(k, *value & 0xFF);
    update_irqs(k);
    return r;
}

static int data_io(void *dev, uint16_t offset, unsigned size, bool in,
                   uint32_t *value)
{
    (void)offset, (void)size;
    return i8042_access(dev, I8042_DATA_PORT, in, value);
}

static int cmd_io(void *dev, uint16_t offset, unsigned size, bool in,
                  uint32_t *value)
{
    (void)offset, (void)size;
    return i8042_access(dev, I8042_CMD_PORT, in, value);
}

bool i8042_attach(struct i8042 *k, struct bus *b)
{
    /* apart: 0x61 between them is the PC's port B (the in-kernel PIT's
     * speaker port under --machine=linux) */
    return bus_register(b, I8042_DATA_PORT, 1, data_io, k) &&
           bus_register(b, I8042_CMD_PORT, 1, cmd_io, k);
}
