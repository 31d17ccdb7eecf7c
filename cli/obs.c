/* obs.c: reads a probe's "# obs " lines out of a log and splits them into access and answer. */
#include <stdlib.h>
#include <string.h>

#include "cli/obs.h"

#define OBS_PREFIX "# obs "

int obs_collect(const char *text, size_t len, struct obs_log *log)
{
    const char *p = text, *end = text + len;

    memset(log, 0, sizeof(*log));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *hit = memmem(p, (size_t)(eol - p), OBS_PREFIX,
                                 strlen(OBS_PREFIX));

        if (hit) {
            const char *s = hit + strlen(OBS_PREFIX), *e = eol;
            while (e > s && (e[-1] == '\r' || e[-1] == ' '))
                e--;
            char **grown = realloc(log->line, (log->n + 1) * sizeof(char *));
            if (!grown)
                return -1;
            log->line = grown;
            if (!(log->line[log->n] = strndup(s, (size_t)(e - s))))
                return -1;
            log->n++;
        }
        p = eol + 1;
    }
    return 0;
}

void obs_free(struct obs_log *log)
{
    for (size_t i = 0; i < log->n; i++)
        free(log->line[i]);
    free(log->line);
    memset(log, 0, sizeof(*log));
}

void obs_split(const char *line, char *access, size_t alen,
               const char **answer)
{
    const char *colon = NULL, *eq = strstr(line, " = "), *p = line;

    while ((p = strstr(p, ": ")))
        colon = p++;
    const char *cut = eq && (!colon || eq > colon) ? eq : colon;
    size_t n = cut ? (size_t)(cut - line) : strlen(line);

    if (n >= alen)
        n = alen - 1;
    memcpy(access, line, n);
    access[n] = '\0';
    *answer = !cut ? "" : cut + (cut == eq ? 3 : 2);
}
