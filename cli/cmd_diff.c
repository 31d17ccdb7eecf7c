/* cmd_diff.c: `pmvm diff`: a probe under pmvm against the same probe elsewhere (a command, or a captured log). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/cpu_options.h"
#include "cli/help.h"
#include "cpu/cpu_select.h"
#include "cli/obs.h"
#include "vmm/status.h"

static const char diff_usage[] =
    "usage: pmvm diff [--cpu M] [--policy P] [--set ...] [--format=text|json]\n"
    "                 [--timeout=S] [--accel=WHAT] [--pmvm-log FILE] IMAGE\n"
    "                 (--log FILE | -- COMMAND [ARGS...])\n"
    "Runs the probe IMAGE under pmvm (or reads pmvm's log, --pmvm-log) and\n"
    "under COMMAND (or reads a log captured elsewhere, --log), and compares\n"
    "their '# obs' lines in order: one line per difference with both answers\n"
    "and the rule pmvm applied. Status 0: all agree; 1: some differ.\n";

struct diff_opts {
    struct cpu_select sel;
    bool json;
    unsigned timeout;
    const char *pmvm_log, *log, *image;
    const char *accel; /* pmvm run's --accel, NULL: its default */
    char **command;
};

/* Runs file (found on PATH) with argv, stdout and stderr captured, killed
 * after timeout s. The output, as far as it got, is NUL-terminated in
 * *out; *status as waitpid gives it. Returns false if it was killed. */
static bool run_capture(const char *file, char *const argv[],
                        unsigned timeout, char **out, size_t *len,
                        int *status)
{
    bool finished = true;
    int fds[2];
    size_t cap = 1 << 16;
    time_t deadline = time(NULL) + timeout;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC))
        err(STATUS_OSERR, "diff: pipe");
    pid = fork();
    if (pid < 0)
        err(STATUS_OSERR, "diff: fork");
    if (pid == 0) {
        int nul = open("/dev/null", O_RDONLY);
        setpgid(0, 0);
        /* QEMU's -serial stdio would read a terminal's keys */
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        execvp(file, argv);
        fprintf(stderr, "pmvm diff: cannot run %s: %s\n", file,
                strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    *out = malloc(cap);
    *len = 0;
    for (;;) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int left = (int)(deadline - time(NULL));
        if (!*out)
            err(STATUS_OSERR, "diff");
        if (left <= 0 || poll(&p, 1, left * 1000) == 0) {
            kill(-pid, SIGKILL);
            finished = false;
            break;
        }
        if (*len + 4096 > cap)
            *out = realloc(*out, cap *= 2);
        if (!*out)
            err(STATUS_OSERR, "diff");
        ssize_t n = read(fds[0], *out + *len, cap - *len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    (*out)[*len] = '\0';
    close(fds[0]);
    if (waitpid(pid, status, 0) < 0)
        err(STATUS_OSERR, "diff: waitpid");
    return finished;
}

/* The other command's own words (its output that is not a '# obs' line,
 * QEMU's errors among them): the last few, on stderr. */
static void say_what_it_said(const char *name, const char *out)
{
    enum { LAST = 5 };
    const char *line[LAST];
    size_t n = 0;

    for (const char *l = out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        if (strncmp(l, "# obs ", 6) != 0 && l[strspn(l, " \t\r")] != '\n' &&
            l[strspn(l, " \t\r")] != '\0')
            line[n++ % LAST] = l;
    for (size_t i = n > LAST ? n - LAST : 0; i < n; i++) {
        const char *l = line[i % LAST];
        fprintf(stderr, "pmvm diff: %s said: %.*s\n", name,
                (int)strcspn(l, "\r\n"), l);
    }
}

static void read_log(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16;

    if (!f)
        err(STATUS_NOINPUT, "diff: cannot open log %s", path);
    *out = malloc(cap);
    *len = 0;
    while (*out && !feof(f) && !ferror(f)) {
        if (*len + 4096 > cap)
            *out = realloc(*out, cap *= 2);
        if (*out)
            *len += fread(*out + *len, 1, cap - *len - 1, f);
    }
    if (!*out)
        err(STATUS_OSERR, "diff");
    if (ferror(f))
        err(STATUS_NOINPUT, "diff: cannot read log %s", path);
    fclose(f);
    (*out)[*len] = '\0';
}

/* A copy for an argv (execvp takes char *const[]). */
static char *arg(const char *s)
{
    char *c = strdup(s);

    if (!c)
        err(STATUS_OSERR, "diff");
    return c;
}

/* pmvm's own side: `pmvm run` of the image with the same CPU options. */
static int pmvm_side(const struct diff_opts *o, char **out, size_t *len)
{
    char *argv[16 + 2 * CPU_SELECT_MAX_SETS], timeout[32];
    int n = 0, status;

    if (o->pmvm_log) {
        read_log(o->pmvm_log, out, len);
        return 0;
    }
    snprintf(timeout, sizeof(timeout), "--timeout=%u", o->timeout);
    argv[n++] = arg("pmvm");
    argv[n++] = arg("run");
    argv[n++] = arg(timeout);
    if (o->accel) {
        argv[n++] = arg("--accel");
        argv[n++] = arg(o->accel);
    }
    argv[n++] = arg(o->sel.dump ? "--cpu-dump" : "--cpu");
    argv[n++] = arg(o->sel.dump ? o->sel.dump : o->sel.cpu);
    if (o->sel.core_type) {
        argv[n++] = arg("--core-type");
        argv[n++] = arg(o->sel.core_type);
    }
    argv[n++] = arg("--policy");
    argv[n++] = arg(pmu_policy_name(o->sel.policy));
    for (size_t i = 0; i < o->sel.nsets; i++) {
        argv[n++] = arg("--set");
        argv[n++] = arg(o->sel.sets[i]);
    }
    argv[n++] = arg(o->image);
    argv[n] = NULL;
    run_capture("/proc/self/exe", argv, o->timeout + 5, out, len, &status);
    for (int i = 0; i < n; i++)
        free(argv[i]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : STATUS_SOFTWARE;
}

/* The rule pmvm applies to a line's access, as `pmvm explain` gives it
 * from the reset state; NULL for lines that are not one access. */
static const char *rule_of(struct pmu *pmu, const char *access)
{
    unsigned ecx, cpl, pce;
    uint32_t msr;
    uint64_t v;
    const char *rule = NULL;

    if (sscanf(access, "rdpmc 0x%x cpl%u pce%u", &ecx, &cpl, &pce) == 3 ||
        (sscanf(access, "rdpmc 0x%x rcx_hi cpl%u pce%u", &ecx, &cpl,
                &pce) == 3)) {
        struct pmu_mode m = {.cpl = cpl, .cr0_pe = true, .cr4_pce = pce};
        pmu_rdpmc(pmu, ecx, &m, &v, &rule);
    } else if (sscanf(access, "rdmsr 0x%" SCNx32, &msr) == 1) {
        pmu_rdmsr(pmu, msr, &v, &rule);
    } else if (sscanf(access, "wrmsr 0x%" SCNx32 " 0x%" SCNx64, &msr,
                      &v) == 2) {
        pmu_wrmsr(pmu, msr, v, &rule);
    } else if (strncmp(access, "cpuid ", 6) == 0) {
        rule = "the CPU model's CPUID under the policy (pmvm cpuid)";
    }
    return rule;
}

static int compare(const struct diff_opts *o, const struct pmu_model *g,
                   const struct obs_log *mine, const struct obs_log *other,
                   const char *other_name)
{
    size_t n = mine->n > other->n ? mine->n : other->n, differ = 0;
    json_object *root = NULL, *list = NULL;
    char access[256], oaccess[256];
    struct pmu *pmu = pmu_create(g);

    if (!pmu)
        err(STATUS_OSERR, "diff");
    if (o->json) {
        root = json_object_new_object();
        list = json_object_new_array();
        json_object_object_add(root, "schema",
                               json_object_new_string("pmvm.diff/1"));
        json_object_object_add(root, "image", json_object_new_string(o->image));
        json_object_object_add(root, "model", json_object_new_string(g->name));
        json_object_object_add(root, "policy", json_object_new_string(
                                   pmu_policy_name(g->policy)));
        json_object_object_add(root, "other",
                               json_object_new_string(other_name));
    }
    for (size_t i = 0; i < n; i++) {
        const char *a = i < mine->n ? mine->line[i] : NULL;
        const char *b = i < other->n ? other->line[i] : NULL;
        const char *aa = "(missing)", *ba = "(missing)", *rule;

        if (a && b && strcmp(a, b) == 0)
            continue;
        differ++;
        if (a)
            obs_split(a, access, sizeof(access), &aa);
        if (b)
            obs_split(b, oaccess, sizeof(oaccess), &ba);
        if (!a)
            strcpy(access, oaccess);
        else if (b && strcmp(access, oaccess) != 0)
            aa = a, ba = b; /* not the same access: show both lines */
        pmu_reset(pmu); /* each rule from the reset state, as explain */
        rule = rule_of(pmu, access);
        if (o->json) {
            json_object *d = json_object_new_object();
            json_object_object_add(d, "index", json_object_new_int64(
                                       (int64_t)i));
            json_object_object_add(d, "access",
                                   json_object_new_string(access));
            json_object_object_add(d, "pmvm", json_object_new_string(aa));
            json_object_object_add(d, "other", json_object_new_string(ba));
            json_object_object_add(d, "rule", rule ? json_object_new_string(
                                                         rule)
                                                   : json_object_new_null());
            json_object_array_add(list, d);
        } else {
            printf("%s: pmvm %s, other %s%s%s\n", access, aa, ba,
                   rule ? "; rule: " : "", rule ? rule : "");
        }
    }
    pmu_destroy(pmu);
    if (o->json) {
        json_object_object_add(root, "lines", json_object_new_int64(
                                   (int64_t)n));
        json_object_object_add(root, "agree", json_object_new_int64(
                                   (int64_t)(n - differ)));
        json_object_object_add(root, "differences", list);
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    } else {
        printf("pmvm diff: %zu obs lines, %zu agree, %zu differ (pmvm %zu "
               "lines, other %zu)\n", n, n - differ, differ, mine->n,
               other->n);
    }
    return differ ? 1 : STATUS_OK;
}

static void parse(int argc, char **argv, struct diff_opts *o)
{
    enum { OPT_LOG = 0x200, OPT_PMVM_LOG, OPT_TIMEOUT, OPT_ACCEL };
    static const char *const accel_words[] = {"auto", "kvm", "engine"};
    static const struct option opts[] = {
        CPU_LONG_OPTIONS,
        {"accel", required_argument, NULL, OPT_ACCEL},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"log", required_argument, NULL, OPT_LOG},
        {"pmvm-log", required_argument, NULL, OPT_PMVM_LOG},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t t;
    int opt;

    memset(o, 0, sizeof(*o));
    cpu_select_init(&o->sel);
    o->timeout = 60;
    optind = 1;
    /* '-': options anywhere before "--", the image among them (code 1);
     * getopt stops at "--", so the command's own options are left alone. */
    opterr = 0; /* cli_bad_option() says it, in one line */
    while ((opt = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
        if (cli_cpu_option(&o->sel, opt, optarg))
            continue;
        switch (opt) {
        case 1:
            if (o->image)
                errx(STATUS_USAGE, "diff: unexpected '%s' after the image "
                     "(the other command goes after --)", optarg);
            o->image = optarg;
            break;
        case OPT_ACCEL:
            o->accel = accel_words[CLI_ENUM("--accel", optarg, accel_words)];
            break;
        case OPT_FORMAT:
            o->json = cli_format_json(optarg);
            break;
        case OPT_LOG:
            o->log = optarg;
            break;
        case OPT_PMVM_LOG:
            o->pmvm_log = optarg;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_u64(optarg, &t) || t == 0 || t > 86400)
                errx(STATUS_USAGE, "diff: --timeout %s: seconds, 1 to "
                     "86400", optarg);
            o->timeout = (unsigned)t;
            break;
        case 'h':
            exit(help_command(diff_usage, HELP_DIFF));
        default:
            cli_bad_option(opt, argv, optind);
        }
    }
    /* "diff [options] -- IMAGE -- COMMAND" names the image after "--". */
    if (!o->image && optind < argc)
        o->image = argv[optind++];
    if (!o->image)
        errx(STATUS_USAGE, "diff: no image given (see pmvm diff --help)");
    if (optind < argc && strcmp(argv[optind], "--") == 0)
        optind++;
    /* The command: what follows "--" (getopt stops there and optind is
     * past it); without "--" there is none. */
    if (optind < argc && strcmp(argv[optind - 1], "--") == 0)
        o->command = argv + optind;
    if (!o->command == !o->log)
        errx(STATUS_USAGE, "diff: give the other side: --log FILE or -- "
             "COMMAND... (see pmvm diff --help)");
}

int cmd_diff(int argc, char **argv)
{
    struct diff_opts o;
    struct pmu_model guest;
    struct obs_log mine, other;
    char *a, *b;
    size_t alen, blen;
    int status = 0, mine_status;
    bool finished = true;

    parse(argc, argv, &o);
    cpu_select_resolve(&o.sel, NULL, &guest);
    mine_status = pmvm_side(&o, &a, &alen);
    if (o.log)
        read_log(o.log, &b, &blen);
    else
        finished = run_capture(o.command[0], o.command, o.timeout, &b,
                               &blen, &status);
    if (obs_collect(a, alen, &mine) || obs_collect(b, blen, &other))
        err(STATUS_OSERR, "diff");
    /* pmvm's run could not start (no /dev/kvm, no image): its own line
     * and status */
    if (mine.n == 0 && mine_status >= STATUS_USAGE &&
        mine_status <= STATUS_OSERR) {
        const char *line = strncmp(a, "pmvm: ", 6) ? a : a + 6;
        errx(mine_status, "diff: %.*s", (int)strcspn(line, "\n"), line);
    }
    if (mine.n == 0 && o.pmvm_log)
        errx(STATUS_DATAERR, "diff: --pmvm-log %s has no '# obs' lines",
             o.pmvm_log);
    if (mine.n == 0)
        errx(STATUS_DATAERR, "diff: pmvm's run of %s printed no '# obs' "
             "lines: not a probe, or it failed (status %d): %.200s",
             o.image, mine_status, a);
    const char *other_name = o.log ? o.log : o.command[0];
    if (!finished)
        warnx("diff: %s still running after %u s (--timeout): killed; "
              "comparing the %zu '# obs' lines it printed with pmvm's %zu",
              other_name, o.timeout, other.n, mine.n);
    bool not_run = WIFEXITED(status) && WEXITSTATUS(status) == 127;
    if (!finished || (other.n == 0 && !not_run))
        say_what_it_said(other_name, b);
    if (other.n == 0 && finished)
        errx(STATUS_DATAERR, "diff: %s printed no '# obs' lines (%s %d)%s",
             other_name, WIFEXITED(status) ? "status" : "signal",
             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
             not_run ? ": it could not be run" : "");
    status = compare(&o, &guest, &mine, &other, other_name);
    if (!finished) {
        if (other.n < mine.n)
            warnx("diff: lines %zu to %zu of pmvm's are missing on the "
                  "other side, which was killed (--timeout)", other.n + 1,
                  mine.n);
        status = STATUS_TIMEOUT;
    }
    obs_free(&mine);
    obs_free(&other);
    free(a);
    free(b);
    return status;
}
