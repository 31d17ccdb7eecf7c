/* replay.c: runs a fuzz harness over saved inputs without libFuzzer, so make check replays the seeds and every crash found (gcc, ASan in SAN=1). */
#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static unsigned replayed;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        err(1, "%s", path);
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            if (!buf)
                err(1, "realloc");
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    if (ferror(f))
        err(1, "%s", path);
    fclose(f);
    /* An exact-size copy, as libFuzzer gives, so ASan sees overreads. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact)
        err(1, "malloc");
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replayed++;
}

/* A file, or every regular file in a directory (a missing one is empty). */
static void replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d)
        err(1, "%s", path);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (stat(sub, &st) == 0 && S_ISREG(st.st_mode))
            replay_file(sub);
    }
    closedir(d);
}

/* usage: fuzz_replay_NAME [FILE|DIR...]; with none, the seed corpus and
 * the crash regressions of NAME, from the top of the tree. */
int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize(&argc, &argv) != 0)
        errx(1, "%s: harness initialisation failed", FUZZ_NAME);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            replay(argv[i]);
    } else {
        replay("tests/fuzz/corpus/" FUZZ_NAME);
        replay("tests/fuzz/regress/" FUZZ_NAME);
    }
    printf("# fuzz replay %s: %u inputs, no crash\n", FUZZ_NAME, replayed);
    return replayed ? 0 : 1;
}
