/* printf.c: a small freestanding printf for the serial console and for buffers. */
#include "guest.h"

/* Where formatted characters go: the serial port (buf == NULL) or a
 * buffer of size bytes that always stays NUL-terminated. */
struct out {
    char *buf;
    size_t size, len;
    int count;                          /* characters produced, as C's printf */
};

struct spec {
    bool left, zero, alt;
    int width, precision;               /* precision -1: none */
};

static void emit(struct out *o, char c)
{
    o->count++;
    if (!o->buf)
        serial_putc(c);
    else if (o->len + 1 < o->size)
        o->buf[o->len++] = c;
}

static void emit_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        emit(o, c);
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
    for (int i = 0; i < n; i++)
        emit(o, s[i]);
    if (sp->left)
        emit_repeat(o, ' ', sp->width - n);
}

static void emit_number(struct out *o, uint64_t v, bool negative,
                        unsigned base, bool upper, const struct spec *sp)
{
    const char *digit = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];                       /* 22 octal digits fill 64 bits */
    const char *prefix = "";
    int n = 0, ndigits, plen;

    if (negative)
        prefix = "-";
    else if (sp->alt && base == 16 && v != 0)
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && v != 0)
        prefix = "0";
    do {
        tmp[n++] = digit[v % base];
        v /= base;
    } while (v);
    ndigits = n;
    plen = (int)strlen(prefix);
    if (!sp->left && !sp->zero)
        emit_repeat(o, ' ', sp->width - ndigits - plen);
    for (int i = 0; i < plen; i++)
        emit(o, prefix[i]);
    if (!sp->left && sp->zero)
        emit_repeat(o, '0', sp->width - ndigits - plen);
    while (n > 0)
        emit(o, tmp[--n]);
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
        int length = 0;

        if (*fmt != '%') {
            emit(o, *fmt);
            continue;
        }
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
            emit(o, '%');
            break;
        case '\0':                      /* a lone '%' at the end */
            return o->count;
        default:                        /* unknown: print it as written */
            emit(o, '%');
            emit(o, *fmt);
            break;
        }
    }
    return o->count;
}

int vprintf(const char *fmt, va_list ap)
{
    struct out o = {NULL, 0, 0, 0};
    va_list copy;
    int n;

    va_copy(copy, ap);
    n = format(&o, fmt, &copy);
    va_end(copy);
    return n;
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
    struct out o = {size ? buf : &dummy, size ? size : 1, 0, 0};
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
