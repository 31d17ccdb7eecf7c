/* obs.h: a probe's "# obs " lines (docs/probe-format.md): read from a log, compared in order. */
#ifndef PMVM_OBS_H
#define PMVM_OBS_H

#include <stddef.h>

/* The "# obs " lines of one run, the prefix stripped. */
struct obs_log {
    char **line;
    size_t n;
};

/* Collects the obs lines of text (a KTAP log, a serial capture: anything
 * before "# obs " on a line and a trailing CR are ignored). 0, or -1 on
 * allocation failure. */
int obs_collect(const char *text, size_t len, struct obs_log *log);
void obs_free(struct obs_log *log);

/* A line's access ("rdpmc 0x00000000 cpl0 pce0", "rdmsr 0x38f") and its
 * answer ("ok", "0x00000000000000ff"), split at the last ": " or " = ". */
void obs_split(const char *line, char *access, size_t alen,
               const char **answer);

#endif
