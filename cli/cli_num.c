/* cli_num.c: strict parsing of numbers given on the command line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "cli/cli_num.h"

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
