/* start.c: the first C code: command line to argc/argv, main(), exit() and panic(). */
#include "guest.h"

#define MB_BOOT_MAGIC 0x2BADB002
#define MB_INFO_CMDLINE (1 << 2)
#define MB_INFO_LOADER_NAME (1 << 9)
#define MAX_ARGS 32
#define MAX_CMDLINE 1024

int main(int argc, char **argv);
noreturn void runtime_start(uint32_t magic, uint32_t info);

const struct multiboot_info *boot_info;

static char cmdline[MAX_CMDLINE];
static char *argv[MAX_ARGS + 1];

/* Split a copy of the command line at blanks. Returns argc. */
static int split_cmdline(const char *s)
{
    size_t len = 0;
    int argc = 0;

    while (s[len] && len + 1 < MAX_CMDLINE) {
        cmdline[len] = s[len];
        len++;
    }
    for (size_t i = 0; i < len; i++) {
        if (cmdline[i] == ' ' || cmdline[i] == '\t') {
            cmdline[i] = '\0';
        } else if ((i == 0 || cmdline[i - 1] == '\0') && argc < MAX_ARGS) {
            argv[argc++] = &cmdline[i];
        }
    }
    return argc;
}

noreturn void runtime_start(uint32_t magic, uint32_t info)
{
    static char name[] = "guest";
    int argc = 0;

    if (magic == MB_BOOT_MAGIC) {
        boot_info = (const struct multiboot_info *)(uintptr_t)info;
        if (boot_info->flags & MB_INFO_CMDLINE)
            argc = split_cmdline((const char *)(uintptr_t)boot_info->cmdline);
        if ((boot_info->flags & MB_INFO_LOADER_NAME) &&
            strncmp((const char *)(uintptr_t)boot_info->boot_loader_name,
                    "GRUB", 4) == 0)
            vga_init();
    }
    if (argc == 0)
        argv[argc++] = name;
    argv[argc] = NULL;
    exit(main(argc, argv));
}

noreturn void exit(int status)
{
    outb((uint8_t)status, EXIT_PORT);
    for (;;)
        __asm__ volatile("cli; hlt");
}

noreturn void panic(const char *fmt, ...)
{
    va_list ap;

    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    console_write("\n", 1);
    exit(GUEST_EXIT_PANIC);
}
