/* test_sandbox.c: after sandbox_install() a forbidden system call kills the process, allowed ones work, and no capability is left. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/sandbox.h"

/* Each case runs in a child: the sandbox cannot be undone. */
static int child_status(void (*body)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sandbox_install();
        body();
        _exit(0); /* not exit(): no sanitizer leak check in the child */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void assert_killed_by_sigsys(int status)
{
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void do_open(void)
{
    /* glibc's open() is openat(2), forbidden in every build. */
    open("/dev/null", O_RDONLY);
}

static void do_open_for_writing(void)
{
    open("/dev/null", O_WRONLY);
}

static void do_socket(void)
{
    socket(AF_INET, SOCK_STREAM, 0);
}

static void do_execve(void)
{
    static char arg0[] = "true";
    char *argv[] = {arg0, NULL};
    execve("/bin/true", argv, NULL);
}

static void do_exec_mmap(void)
{
    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
         0);
}

static void do_kvm_create_vm_on_stdin(void)
{
    /* An allowed KVM ioctl on a file that is not /dev/kvm: the filter lets
     * it through and the kernel refuses it, so the process lives on. */
    ioctl(0, KVM_CREATE_VM, 0);
}

static void do_other_ioctl(void)
{
    int n;
    ioctl(2, FIONREAD, &n); /* not a KVM ioctl */
}

static void do_allowed(void)
{
    /* What the run loop does: write a line, allocate, free, map memory. */
    static const char line[] = "# test_sandbox: this line was written "
                               "inside the sandbox\n";
    if (write(2, line, sizeof line - 1) != (ssize_t)(sizeof line - 1))
        _exit(2);
    void *p = malloc(1 << 20);
    if (!p)
        _exit(3);
    memset(p, 1, 1 << 20);
    free(p);
    void *m = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || munmap(m, 1 << 16) < 0)
        _exit(4);
}

static void forbidden_open_kills(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    /* SAN=1 builds let the sanitizers read files (vmm/sandbox.c), so a
     * read-only open is allowed there by design; writing is not. */
    int status = child_status(do_open);
    assert_true(WIFEXITED(status));
#else
    assert_killed_by_sigsys(child_status(do_open));
#endif
}

static void forbidden_open_for_writing_kills(void **state)
{
    (void)state;
    assert_killed_by_sigsys(child_status(do_open_for_writing));
}

static void forbidden_socket_kills(void **state)
{
    (void)state;
    assert_killed_by_sigsys(child_status(do_socket));
}

static void forbidden_execve_kills(void **state)
{
    (void)state;
    assert_killed_by_sigsys(child_status(do_execve));
}

static void executable_mmap_kills(void **state)
{
    (void)state;
    assert_killed_by_sigsys(child_status(do_exec_mmap));
}

static void non_kvm_ioctl_kills(void **state)
{
    (void)state;
    assert_killed_by_sigsys(child_status(do_other_ioctl));
}

static void kvm_ioctl_passes_the_filter(void **state)
{
    (void)state;
    int status = child_status(do_kvm_create_vm_on_stdin);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void allowed_calls_work(void **state)
{
    (void)state;
    int status = child_status(do_allowed);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* The value of a "Name:\t..." line of /proc/PID/status. */
static void proc_status_field(pid_t pid, const char *name, char *out,
                              size_t size)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = strlen(name);
    out[0] = '\0';
    while (fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            snprintf(out, size, "%s", line + len + 1 + strspn(line + len + 1,
                                                               " \t"));
            out[strcspn(out, "\n")] = '\0';
        }
    fclose(f);
}

/* The child sandboxes itself, says so through shared memory and spins
 * (no system call) until the parent has read its /proc status. */
static void no_capabilities_no_new_privs_seccomp(void **state)
{
    (void)state;
    void *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(shared != MAP_FAILED);
    int *flag = shared;
    *flag = 0;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sandbox_install();
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(flag, __ATOMIC_SEQ_CST) != 2)
            ;
        _exit(0);
    }
    while (__atomic_load_n(flag, __ATOMIC_SEQ_CST) != 1)
        usleep(1000);
    char v[128];
    proc_status_field(pid, "CapEff", v, sizeof v);
    assert_string_equal(v, "0000000000000000");
    proc_status_field(pid, "CapPrm", v, sizeof v);
    assert_string_equal(v, "0000000000000000");
    proc_status_field(pid, "CapInh", v, sizeof v);
    assert_string_equal(v, "0000000000000000");
    proc_status_field(pid, "CapAmb", v, sizeof v);
    assert_string_equal(v, "0000000000000000");
    /* The bounding set is emptied only by a process that may: one with
     * CAP_SETPCAP (bit 8) effective, as this test's parent. */
    char eff[128];
    proc_status_field(getpid(), "CapEff", eff, sizeof eff);
    if (strtoull(eff, NULL, 16) & (1ull << 8)) {
        proc_status_field(pid, "CapBnd", v, sizeof v);
        assert_string_equal(v, "0000000000000000");
    }
    proc_status_field(pid, "NoNewPrivs", v, sizeof v);
    assert_string_equal(v, "1");
    proc_status_field(pid, "Seccomp", v, sizeof v);
    assert_string_equal(v, "2"); /* SECCOMP_MODE_FILTER */
    __atomic_store_n(flag, 2, __ATOMIC_SEQ_CST);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    munmap(shared, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forbidden_open_kills),
        cmocka_unit_test(forbidden_open_for_writing_kills),
        cmocka_unit_test(forbidden_socket_kills),
        cmocka_unit_test(forbidden_execve_kills),
        cmocka_unit_test(executable_mmap_kills),
        cmocka_unit_test(non_kvm_ioctl_kills),
        cmocka_unit_test(kvm_ioctl_passes_the_filter),
        cmocka_unit_test(allowed_calls_work),
        cmocka_unit_test(no_capabilities_no_new_privs_seccomp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
