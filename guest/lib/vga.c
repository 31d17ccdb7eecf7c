/* vga.c: the VGA text console (80x25 at 0xB8000) for bare metal, where many machines have no serial port. */
#include "guest.h"

#define VGA_TEXT 0xB8000
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x0700 /* light grey on black */

static bool vga_on;
static unsigned row, col;

static volatile uint16_t *cell(unsigned r, unsigned c)
{
    return (volatile uint16_t *)(uintptr_t)VGA_TEXT + r * VGA_COLS + c;
}

static void newline(void)
{
    col = 0;
    if (++row < VGA_ROWS)
        return;
    row = VGA_ROWS - 1;
    for (unsigned r = 1; r < VGA_ROWS; r++)
        for (unsigned c = 0; c < VGA_COLS; c++)
            *cell(r - 1, c) = *cell(r, c);
    for (unsigned c = 0; c < VGA_COLS; c++)
        *cell(row, c) = VGA_ATTR | ' ';
}

void vga_init(void)
{
    vga_on = true;
    row = col = 0;
    for (unsigned r = 0; r < VGA_ROWS; r++)
        for (unsigned c = 0; c < VGA_COLS; c++)
            *cell(r, c) = VGA_ATTR | ' ';
}

void vga_write(const char *s, size_t len)
{
    if (!vga_on)
        return;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            newline();
            continue;
        }
        if (s[i] == '\r')
            continue;
        if (col == VGA_COLS)
            newline();
        *cell(row, col++) = VGA_ATTR | (uint8_t)s[i];
    }
}

void console_write(const char *s, size_t len)
{
    serial_write(s, len);
    vga_write(s, len);
}
