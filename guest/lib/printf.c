/* printf.c: a small freestanding printf for the serial console and for buffers. */
#include "guest.h"

/* Where formatted characters go: a buffer of size bytes that always stays
 * NUL-terminated, or (serial) a line buffer sent to the serial port when
 * full and at the end. On the PVM host every CPL0 instruction is
 * emulated, so text moves in runs (rep movsb, one console_write per line),
 * never a call per character. */
struct out {
    char *buf;
    size_t size, len;
    int count;                          /* characters produced, as C's printf */
    bool serial;
};

struct spec {
    bool left, zero, alt;
    int width, precision;               /* precision -1: none */
};

static void flush(struct out *o)
{
    if (o->serial && o->len) {
        console_write(o->buf, o->len);
        o->len = 0;
    }
}

/* Room left in the buffer: a serial line buffer is flushed when full; a
 * caller's buffer keeps a byte for the NUL and drops the excess. */
static size_t room(struct out *o)
{
    if (o->serial && o->len == o->size)
        flush(o);
    return o->size - o->len - (o->serial ? 0 : 1);
}

static void emit_run(struct out *o, const char *s, size_t n)
{
    if (!n)
        return;
    o->count += (int)n;
    while (n) {
        size_t k = room(o);

        if (k == 0)
            return;                     /* caller's buffer is full */
        if (k > n)
            k = n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}

static void emit_repeat(struct out *o, char c, int n)
{
    if (n <= 0)
        return;
    o->count += n;
    while (n) {
        size_t k = room(o);

        if (k == 0)
            return;
        if (k > (size_t)n)
            k = (size_t)n;
        memset(o->buf + o->len, c, k);
        o->len += k;
        n -= (int)k;
    }
}

static void emit_string(struct out *o, const char *s, const struct spec *sp)
{
    int n = 0;

    if (!s)
        s = "(null)";
    while (s[n] && (sp->precision < 0 || n < sp->precision))
        n++;
    if (!sp->left)
        emit_repeat(o, ' ', sp->width - n);
    emit_run(o, s, (size_t)n);
    if (sp->left)
        emit_repeat(o, ' ', sp->width - n);
}

static void emit_number(struct out *o, uint64_t v, bool negative,
                        unsigned base, bool upper, const struct spec *sp)
{
    const char *digit = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];                       /* 22 octal digits fill 64 bits */
    char *p = tmp + sizeof tmp;         /* digits are written backwards */
    const char *prefix = "";
    int ndigits, plen = 0;

    if (negative)
        prefix = "-", plen = 1;
    else if (sp->alt && base == 16 && v != 0)
        prefix = upper ? "0X" : "0x", plen = 2;
    else if (sp->alt && base == 8 && v != 0)
        prefix = "0", plen = 1;
    if (base == 16) {                   /* shifts: no emulated div */
        do {
            *--p = digit[v & 15];
            v >>= 4;
        } while (v);
    } else {
        do {
            *--p = digit[v % base];
            v /= base;
        } while (v);
    }
    ndigits = (int)(tmp + sizeof tmp - p);
    if (!sp->left && !sp->zero)
        emit_repeat(o, ' ', sp->width - ndigits - plen);
    emit_run(o, prefix, (size_t)plen);
    if (!sp->left && sp->zero)
        emit_repeat(o, '0', sp->width - ndigits - plen);
    emit_run(o, p, (size_t)ndigits);
    if (sp->left)
        emit_repeat(o, ' ', sp->width - ndigits - plen);
}

/* Read an integer argument of the given length (0 int, 1 long, 2 long
 * long, -1 short, -2 char, 3 size_t) as signed or unsigned. */
static uint64_t arg_unsigned(va_list *ap, int length)
{
    switch (length) {
    case -2: return (unsigned char)va_arg(*ap, unsigned int);
    case -1: return (unsigned short)va_arg(*ap, unsigned int);
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    case 3: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t arg_signed(va_list *ap, int length)
{
    switch (length) {
    case -2: return (signed char)va_arg(*ap, int);
    case -1: return (short)va_arg(*ap, int);
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    case 3: return (int64_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static int format(struct out *o, const char *fmt, va_list *ap)
{
    for (; *fmt; fmt++) {
        struct spec sp = {false, false, false, 0, -1};
        const char *run = fmt;
        int length = 0;

        while (*fmt && *fmt != '%')
            fmt++;
        if (fmt != run)
            emit_run(o, run, (size_t)(fmt - run));
        if (!*fmt)
            break;
        for (;; fmt++) {
            if (fmt[1] == '-')
                sp.left = true;
            else if (fmt[1] == '0')
                sp.zero = true;
            else if (fmt[1] == '#')
                sp.alt = true;
            else
                break;
        }
        fmt++;
        if (*fmt == '*') {
            sp.width = va_arg(*ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            sp.width = sp.width * 10 + (*fmt++ - '0');
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(*ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                sp.precision = sp.precision * 10 + (*fmt++ - '0');
        }
        for (;; fmt++) {
            if (*fmt == 'l')
                length = length == 1 ? 2 : 1;
            else if (*fmt == 'h')
                length = length == -1 ? -2 : -1;
            else if (*fmt == 'z')
                length = 3;
            else
                break;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = arg_signed(ap, length);
            emit_number(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10,
                        false, &sp);
            break;
        }
        case 'u':
            emit_number(o, arg_unsigned(ap, length), false, 10, false, &sp);
            break;
        case 'x':
        case 'X':
            emit_number(o, arg_unsigned(ap, length), false, 16, *fmt == 'X',
                        &sp);
            break;
        case 'o':
            emit_number(o, arg_unsigned(ap, length), false, 8, false, &sp);
            break;
        case 'p':
            sp.alt = true;
            emit_number(o, (uint64_t)(uintptr_t)va_arg(*ap, void *), false,
                        16, false, &sp);
            break;
        case 's':
            emit_string(o, va_arg(*ap, const char *), &sp);
            break;
        case 'c': {
            char c[2] = {(char)va_arg(*ap, int), 0};
            sp.precision = -1;
            emit_string(o, c, &sp);
            break;
        }
        case '%':
            emit_run(o, "%", 1);
            break;
        case '\0':                      /* a lone '%' at the end */
            return o->count;
        default:                        /* unknown: print '%' and it */
            emit_run(o, "%", 1);
            emit_run(o, fmt, 1);
            break;
        }
    }
    return o->count;
}

int vprintf(const char *fmt, va_list ap)
{
    char line[128];
    struct out o = {line, sizeof line, 0, 0, true};
    va_list copy;

    va_copy(copy, ap);
    format(&o, fmt, &copy);
    va_end(copy);
    flush(&o);
    return o.count;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    char dummy;
    struct out o = {size ? buf : &dummy, size ? size : 1, 0, 0, false};
    va_list copy;

    va_copy(copy, ap);
    format(&o, fmt, &copy);
    va_end(copy);
    o.buf[o.len] = '\0';
    return o.count;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
