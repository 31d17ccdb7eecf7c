/* cli_num.h: strict parsing of numbers given on the command line. */
#ifndef PMVM_CLI_NUM_H
#define PMVM_CLI_NUM_H

#include <stdint.h>

/* Parse all of (s) as an unsigned integer (decimal, 0x hex or 0 octal).
 * Returns 0, or -1 if it is empty, malformed or out of range. */
int cli_parse_u64(const char *s, uint64_t *out);

/* Parse a memory size: a number of MiB, or with a K, M or G suffix.
 * Returns 0 with *bytes set, or -1. */
int cli_parse_size(const char *s, uint64_t *bytes);

/* Parse a non-negative number of seconds, fractions allowed. */
int cli_parse_seconds(const char *s, double *out);

#endif
