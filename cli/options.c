/* options.c: pmvm's option vocabulary: strict numbers, sizes and seconds, one-of-these words, and the one line a bad option gets. */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "vmm/status.h"

int cli_parse_u64(const char *s, uint64_t *out)
{
    /* strtoull accepts leading blanks and a minus sign; a number on a
     * command line has neither. */
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *bytes)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    unsigned shift;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case '\0':
    case 'M': case 'm': shift = 20; end += *end != '\0'; break;
    case 'G': case 'g': shift = 30; end++; break;
    default: return -1;
    }
    if (*end != '\0' || v > (UINT64_MAX >> shift))
        return -1;
    *bytes = (uint64_t)v << shift;
    return 0;
}

int cli_parse_seconds(const char *s, double *out)
{
    if (!s || !(isdigit((unsigned char)s[0]) || s[0] == '.'))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end != '\0' || !isfinite(v) || v < 0 || v > 1e6)
        return -1;
    *out = v;
    return 0;
}

int cli_word(const char *arg, const char *const names[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arg, names[i]) == 0)
            return (int)i;
    return -1;
}

unsigned cli_enum(const char *option, const char *arg,
                  const char *const names[], size_t n)
{
    int i = cli_word(arg, names, n);
    if (i >= 0)
        return (unsigned)i;
    char list[256] = "";
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        const char *sep = k == 0 ? "" : k + 1 < n ? ", " :
                          n == 2 ? " nor " : " or ";
        len += (size_t)snprintf(list + len, len < sizeof(list) ?
                                sizeof(list) - len : 0, "%s%s", sep,
                                names[k]);
    }
    errx(STATUS_USAGE, "%s: '%s' is %s %s", option, arg,
         n == 2 ? "neither" : "not", list);
}

bool cli_format_json(const char *arg)
{
    static const char *const formats[] = {"text", "json"};
    /* Its own shape, older than cli_enum()'s: json.sh checks it whole. */
    if (cli_word(arg, formats, 2) < 0)
        errx(STATUS_USAGE, "--format %s: text or json", arg);
    return arg[0] == 'j';
}

void cli_bad_option(int opt, char **argv, int ind)
{
    const char *arg = argv[ind - 1];

    if (opt == ':')
        errx(STATUS_USAGE, "option '%s' needs a value (see pmvm %s --help)",
             arg, argv[0]);
    if (optopt && optopt < 256)
        errx(STATUS_USAGE, "unknown option -%c (see pmvm %s --help)", optopt,
             argv[0]);
    errx(STATUS_USAGE, "unknown or ambiguous option '%s' (see pmvm %s "
         "--help)", arg, argv[0]);
}
