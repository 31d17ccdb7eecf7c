/* options.h: pmvm's option vocabulary: numbers, sizes, seconds and one-of-these words, each refused in one line with status 64. */
#ifndef PMVM_OPTIONS_H
#define PMVM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --format=text|json, an option of cpuid, explain and diff. */
enum { OPT_FORMAT = 0x180 };

/* Parse all of (s) as an unsigned integer (decimal, 0x hex or 0 octal).
 * Returns 0, or -1 if it is empty, malformed or out of range. */
int cli_parse_u64(const char *s, uint64_t *out);

/* Parse a memory size: a number of MiB, or with a K, M or G suffix.
 * Returns 0 with *bytes set, or -1. */
int cli_parse_size(const char *s, uint64_t *bytes);

/* Parse a non-negative number of seconds, fractions allowed. */
int cli_parse_seconds(const char *s, double *out);

/* The index of (arg) among names[0..n-1], or -1. */
int cli_word(const char *arg, const char *const names[], size_t n);

/*
 * An option that takes one of (n) words: the index of (arg) among them,
 * so that names[] indexed by an enum's values gives that enum. Anything
 * else exits 64 with "OPTION: 'ARG' is neither A nor B" (two words) or
 * "OPTION: 'ARG' is not A, B or C".
 */
unsigned cli_enum(const char *option, const char *arg,
                  const char *const names[], size_t n);
#define CLI_ENUM(option, arg, names) \
    cli_enum(option, arg, names, sizeof(names) / sizeof((names)[0]))

/* --format: true for "json", false for "text"; exits 64 for anything else. */
bool cli_format_json(const char *arg);

/* Report the option getopt_long just refused (opt, what it returned: ':'
 * for a missing value, '?' for the rest; its optstring starts ":" or
 * "-:") in one line naming the command's --help, and exit 64. */
void cli_bad_option(int opt, char **argv, int optind)
    __attribute__((noreturn));

#endif
