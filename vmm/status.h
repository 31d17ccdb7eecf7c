/* status.h: pmvm's process exit statuses (also listed in pmvm --help and docs/guest-abi.md). */
#ifndef PMVM_STATUS_H
#define PMVM_STATUS_H

/*
 * A guest that writes v to the exit port ends pmvm with status v (0..255),
 * so guest statuses and these overlap; pmvm's own statuses sit where guests
 * rarely go, and sysexits(3) values are used for set-up failures.
 */
enum pmvm_status {
    STATUS_OK = 0,           /* guest wrote 0 to port 0xF4, or HLT with IF=0 */
    STATUS_USAGE = 64,       /* bad option or number */
    STATUS_DATAERR = 65,     /* malformed image, model or config */
    STATUS_NOINPUT = 66,     /* an input file missing or unreadable */
    STATUS_UNAVAILABLE = 69, /* no /dev/kvm, no permission, missing capability */
    STATUS_SOFTWARE = 70,    /* internal error in pmvm */
    STATUS_OSERR = 71,       /* a system call pmvm needs failed */
    STATUS_IOERR = 74,       /* writing the guest's console (stdout) failed */
    STATUS_TIMEOUT = 124,    /* guest still running after --timeout */
    STATUS_TRIPLE_FAULT = 125,
    STATUS_GUEST_FAILED = 126, /* unexpected exit, KVM internal error, entry failure */
};

#endif
