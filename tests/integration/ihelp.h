/* Helpers for the integration tests that also reach the share's files on
 * disk ($ASMB_TEST_DIR/share, made by tests/samba/samba.sh run; what is made
 * there belongs to the share's user so that Samba may change it), check a
 * res outcome, and run their parts ("sections") by name. */
#ifndef ASMB_IHELP_H
#define ASMB_IHELP_H
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "itest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char share_dir[1024]; /* $ASMB_TEST_DIR/share */
static uid_t share_uid;
static gid_t share_gid;

/* Finds the share's folder and user; 0, or -1 (said on stderr) when missing. */
static inline int share_init(void)
{
    const char *base = getenv("ASMB_TEST_DIR");
    struct passwd *pw = getpwnam(it_user());
    if (!base || !*base || !pw) {
        fprintf(stderr,
                "ASMB_TEST_DIR or the share's user %s missing: run through "
                "tests/samba/samba.sh run\n",
                it_user());
        return -1;
    }
    snprintf(share_dir, sizeof share_dir, "%s/share", base);
    share_uid = pw->pw_uid;
    share_gid = pw->pw_gid;
    return 0;
}

/* The disk path of rel (relative to the share); valid until the next call. */
static inline const char *disk(const char *rel)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s/%s", share_dir, rel);
    return buf;
}
/* Makes the folder rel (it may exist) for the share's user; 0 or -1. */
static inline int disk_mkdir(const char *rel)
{
    const char *p = disk(rel);
    if (mkdir(p, 0755) && errno != EEXIST) return -1;
    return chown(p, share_uid, share_gid);
}
/* Writes the file rel (truncated) for the share's user; 0 or -1. */
static inline int disk_write(const char *rel, const void *data, size_t n)
{
    int fd = open(disk(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, (const uint8_t *)data + off, n - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    int rc = fchown(fd, share_uid, share_gid);
    return close(fd) || rc || off != n ? -1 : 0;
}
/* Is there an entry rel on disk (a link counts as itself)? */
static inline int disk_exists(const char *rel)
{
    struct stat st;
    return lstat(disk(rel), &st) == 0;
}
/* nftw callback for disk_rm_rf: removes one entry. */
static inline int disk_rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}
/* Removes rel and everything below it. */
static inline void disk_rm_rf(const char *rel)
{
    nftw(disk(rel), disk_rm_entry, 64, FTW_DEPTH | FTW_PHYS);
}

/* Wall-clock seconds since the epoch (compares with the server's times). */
static inline double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Succeeded: the call returned 0 and the callback ran once. */
#define CHECK_OK(x)                                                                                \
    do {                                                                                           \
        CHECK_EQ_INT((x)->rc, 0);                                                                  \
        CHECK_EQ_INT((x)->ok, 1);                                                                  \
        if (!(x)->ok) fprintf(stderr, "%s:%d:   -> %s\n", __FILE__, __LINE__, (x)->msg);           \
    } while (0)
/* Failed through the errback with ASMB_EFAILURE and this NTSTATUS. */
#define CHECK_NT(x, st)                                                                            \
    do {                                                                                           \
        CHECK_EQ_INT((x)->rc, 0);                                                                  \
        CHECK_EQ_INT((x)->failed, 1);                                                              \
        CHECK_EQ_INT((x)->f.code, ASMB_EFAILURE);                                                  \
        CHECK_EQ_INT((x)->f.ntstatus, (st));                                                       \
        if ((x)->f.ntstatus != (st))                                                               \
            fprintf(stderr, "%s:%d:   -> %s\n", __FILE__, __LINE__,                                \
                    (x)->ok ? "succeeded" : (x)->msg);                                             \
    } while (0)

/* A named part of a test program, run on its main connection. */
typedef struct section {
    const char *name;
    void (*fn)(asmb_conn *);
} section;
/* Is name among the program's arguments (every name is when there are none)? */
static inline int wanted(int argc, char **argv, const char *name)
{
    int yes = argc < 2;
    for (int i = 1; i < argc; i++)
        yes |= !strcmp(argv[i], name);
    return yes;
}
/* Runs the wanted sections on c, printing each one's verdict and time. */
static inline void run_sections(const section *s, size_t n, asmb_conn *c, int argc, char **argv,
                                int width)
{
    for (size_t i = 0; i < n; i++) {
        if (!wanted(argc, argv, s[i].name)) continue;
        int before = t_fail;
        double t0 = now_s();
        s[i].fn(c);
        printf("%-*s %s (%.1f s)\n", width, s[i].name, t_fail == before ? "ok" : "FAILED",
               now_s() - t0);
    }
}
#endif
