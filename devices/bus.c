/* bus.c: the port I/O bus: ranges of ports registered by devices, and the dispatch of an access to the one that holds its port. */
#include "devices/bus.h"

void bus_init(struct bus *b)
{
    b->n = 0;
}

static bool overlaps(const struct bus_range *r, unsigned base, unsigned end)
{
    return base < (unsigned)r->base + r->length && r->base < end;
}

bool bus_register(struct bus *b, uint16_t base, uint16_t length,
                  bus_handler *fn, void *dev)
{
    unsigned end = (unsigned)base + length;
    if (b->n == BUS_MAX_RANGES || length == 0 || end > 0x10000u)
        return false;
    for (unsigned i = 0; i < b->n; i++)
        if (overlaps(&b->range[i], base, end))
            return false;
    b->range[b->n++] = (struct bus_range){base, length, fn, dev};
    return true;
}

bool bus_access(const struct bus *b, uint16_t port, unsigned size, bool in,
                uint32_t *value, int *status)
{
    /* A handful of ranges: a scan costs less than the exit that brought
     * the access. */
    for (unsigned i = 0; i < b->n; i++) {
        const struct bus_range *r = &b->range[i];
        uint16_t offset = (uint16_t)(port - r->base);
        if (offset < r->length) {
            *status = r->fn(r->dev, offset, size, in, value);
            return true;
        }
    }
    return false;
}
