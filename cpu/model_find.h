/* model_find.h: where pmvm finds its data by name: CPU models (directories, then built in) and probe images. */
#ifndef PMVM_MODEL_FIND_H
#define PMVM_MODEL_FIND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* A model found: a file (text NULL), or a model built into pmvm. */
struct model_found {
    char path[PATH_MAX]; /* the file, or "(built into pmvm)/NAME.ini" */
    const char *text;
    size_t text_len;
};

/*
 * Finds configs' NAME.ini, first in the directories pmvm searches
 * ($PMVM_CONFIG_DIR alone when set; else next to the binary: ../configs,
 * ../../configs, ../share/pmvm/configs; then the installed
 * PMVM_DATADIR/configs), then among the models built into pmvm. A file
 * that exists but cannot be reached ends the search with its errno.
 * Returns 0, or -1 with one line in err.
 */
int model_find(const char *name, struct model_found *out, char *err,
               size_t errlen);

/* "a, b, c": every model name pmvm can find, sorted, never empty. */
void model_list(char *out, size_t len);

/* The name of (models), a model_list(), nearest to (name), in out: true
 * if it is near enough to be a typo of it (case aside, a few edits). */
bool model_nearest(const char *name, const char *models, char *out,
                   size_t len);

/* The i-th directory searched now (existing or not), NULL past the last. */
const char *model_dir(size_t i);

/*
 * A probe image given by name ("rdpmc" or "rdpmc.elf") that is not a path
 * and not in the current directory: next to pmvm (build/guest/) or in
 * the installed share directory (PREFIX/share/pmvm/guest/). 0 with the
 * path in out, or -1: use the name as given.
 */
int image_find(const char *name, char *out, size_t len);

#endif
