/* get and put of one file; the sink and source (shared with batch.c) count
 * bytes for the progress bar. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define STATUS_OBJECT_NAME_NOT_FOUND 0xC0000034u

/* Not with --debug: log lines would land in the middle of the bar. */
int show_progress(const cli_opts *o) { return !o->quiet && !o->log_level && isatty(2); }

char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    int sep = n && dir[n - 1] != '/' && dir[n - 1] != '\\';
    char *p = malloc(n + (size_t)sep + strlen(name) + 1);
    if (p) sprintf(p, "%s%s%s", dir, sep ? "/" : "", name);
    return p;
}

/* Reports a local I/O error (silently for a closed pipe on stdout). */
static int local_error(const char *name, int err)
{
    if (err == EPIPE && !name) return CLI_FAIL;
    return cli_error(CLI_FAIL, "%s: %s", name ? name : "standard output", local_strerror(err));
}

const char *local_strerror(int err)
{
    return err == ELOOP ? "a symbolic link: not followed" : strerror(err);
}

int has_wildcard(const char *text)
{
    char *base = path_basename(text);
    int wild = base && strpbrk(base, "*?");
    free(base);
    return wild;
}

/* ---- get ---- */

int sink_open(get_sink *g)
{
    if (g->opened) return 0;
    /* O_NOFOLLOW: a planted symbolic link must not redirect the write */
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (g->excl ? O_EXCL : O_TRUNC);
    g->fd = g->local ? openat(g->dirfd, g->name, flags, 0666) : 1;
    if (g->fd < 0) {
        g->err = errno;
        return -1;
    }
    g->opened = 1;
    return 0;
}

int sink_discard(get_sink *g, int keep)
{
    if (!g->opened || !g->local) return 0;
    close(g->fd);
    g->opened = 0;
    return !keep && unlinkat(g->dirfd, g->name, 0) == 0;
}

int sink_write(void *arg, const void *data, size_t len)
{
    get_sink *g = arg;
    const char *p = data;
    if (sink_open(g)) return -1;
    while (len) {
        ssize_t n = write(g->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            g->err = errno;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        progress_add(g->pg, (uint64_t)n);
    }
    return 0;
}

/* The local file: LOCAL, LOCAL/BASENAME when LOCAL is a directory, BASENAME
 * when absent; *out = NULL for "-" (stdout). */
static int local_target(const cli_opts *o, const char *remote, char **out)
{
    const char *arg = o->nargs > 1 ? o->args[1] : NULL;
    struct stat st;
    *out = NULL;
    if (arg && !strcmp(arg, "-")) return CLI_OK;
    char *base = path_basename(remote);
    if (!base) return cli_error(CLI_FAIL, "out of memory");
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        free(base);
        return cli_error(CLI_USAGE, "get: the URL must name a file");
    }
    if (!arg) *out = strdup(base);
    else if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) *out = path_join(arg, base);
    else *out = strdup(arg);
    free(base);
    return *out ? CLI_OK : cli_error(CLI_FAIL, "out of memory");
}

/* Bytes the retrieve should deliver, for the progress bar. */
/* A path's attributes, on the session's loop; 0 or the failure's code. */
static int attributes(cli_session *s, const char *path, asmb_file_info *out, asmb_failure *e)
{
    asmb_deferred *d = NULL;
    int rc = asmb_get_attributes(s->conn, s->url.share, path, s->op, &d);
    if ((rc = session_wait(s, rc, d, e)) != 0) return rc;
    *out = *(const asmb_file_info *)asmb_deferred_result(d);
    out->filename = out->short_name = NULL; /* owned by d */
    asmb_deferred_unref(d);
    return 0;
}

static int expected_size(cli_session *s, const cli_opts *o, uint64_t *total)
{
    asmb_file_info info;
    asmb_failure e;
    if (attributes(s, s->url.path, &info, &e)) return 0;
    *total = info.file_size > o->offset ? info.file_size - o->offset : 0;
    if ((o->seen & OPT_LENGTH) && (uint64_t)o->length < *total) *total = (uint64_t)o->length;
    return 1;
}

/* What a Ctrl-C left: said on stderr; CLI_INTERRUPTED. */
static int interrupted(const char *what, const char *name, uint64_t bytes, const char *after)
{
    return cli_error(CLI_INTERRUPTED, "interrupted: %s '%s' canceled after %llu bytes%s", what,
                     name, (unsigned long long)bytes, after);
}

/* A failed get: the partial local file goes (unless --keep-partial). */
static int get_failed(const cli_opts *o, cli_session *s, get_sink *g, const asmb_failure *e)
{
    int keep = !!(o->seen & OPT_KEEP_PARTIAL), had = g->opened && g->local;
    int removed = sink_discard(g, keep);
    if (g->pg->drawn) fputc('\n', stderr);
    int status = s->interrupted
                     ? interrupted("download of", s->url.path, g->pg->done,
                                   !had ? "" : removed ? "; partial file removed"
                                                       : "; partial file kept")
                 : g->err ? local_error(g->local, g->err)
                          : report_error(e);
    if (had && !s->interrupted)
        cli_error(0, removed ? "%s: partial file removed" : "%s: partial file kept", g->local);
    return status;
}

static int retrieve(const cli_opts *o, cli_session *s, get_sink *g)
{
    uint64_t total = 0;
    int known = show_progress(o) && expected_size(s, o, &total);
    progress_init(g->pg, show_progress(o), total, known);
    asmb_sink sink = {sink_write, g, -1};
    asmb_failure e;
    asmb_deferred *d = NULL;
    int64_t len = (o->seen & OPT_LENGTH) ? o->length : -1;
    int rc = asmb_retrieve_file_from_offset(s->conn, s->url.share, s->url.path, &sink, o->offset,
                                            len, s->op, &d);
    if (session_wait(s, rc, d, &e)) return get_failed(o, s, g, &e);
    asmb_deferred_unref(d);
    if (sink_open(g)) return local_error(g->local, g->err); /* an empty file */
    progress_finish(g->pg);
    return CLI_OK;
}

int cmd_get(const cli_opts *o)
{
    if (o->nargs > 2 || has_wildcard(o->args[0])) return batch_get(o);
    cli_session s;
    get_sink g;
    progress pg;
    char *local = NULL;
    memset(&g, 0, sizeof g);
    g.pg = &pg;
    int status = session_parse(o->args[0], 1, &s);
    if (!status) status = local_target(o, s.url.path, &local);
    if (!status) status = session_connect_async(o, &s);
    if (!status) {
        g.local = g.name = local;
        g.dirfd = AT_FDCWD;
        status = retrieve(o, &s, &g);
    }
    if (g.opened && local && close(g.fd) && !status) status = local_error(local, errno);
    if (!local && fflush(stdout) && !status) status = local_error(NULL, errno);
    free(local);
    session_close(&s);
    return status;
}

/* ---- put ---- */

/* Fills buf (fewer bytes only at the end), so that pipes give full-size writes. */
long source_read(void *arg, void *buf, size_t len)
{
    put_source *p = arg;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(p->fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            p->err = errno;
            return -1;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    progress_add(p->pg, got);
    return (long)got;
}

/* The remote path: the URL's, plus LOCAL's basename when it ends with '/'. */
static int remote_target(const char *local, const asmb_url *u, char **out)
{
    *out = NULL;
    if (u->path[strspn(u->path, "/\\")] && !u->trailing_slash) {
        *out = strdup(u->path);
    } else {
        if (!strcmp(local, "-"))
            return cli_error(CLI_USAGE, "put: the URL must name the remote file for standard input");
        char *base = path_basename(local);
        if (base && (!*base || !strcmp(base, ".") || !strcmp(base, ".."))) {
            free(base);
            return cli_error(CLI_USAGE, "put: LOCAL must name a file");
        }
        *out = base ? path_join(u->path, base) : NULL;
        free(base);
    }
    return *out ? CLI_OK : cli_error(CLI_FAIL, "out of memory");
}

static int open_source(const char *local, put_source *p, uint64_t *size, int *known)
{
    struct stat st;
    p->fd = strcmp(local, "-") ? open(local, O_RDONLY | O_CLOEXEC) : 0;
    if (p->fd < 0) return local_error(local, errno);
    if (fstat(p->fd, &st)) return local_error(local, errno);
    if (S_ISDIR(st.st_mode)) return local_error(local, EISDIR);
    off_t pos = S_ISREG(st.st_mode) ? lseek(p->fd, 0, SEEK_CUR) : -1;
    *known = pos >= 0 && pos <= st.st_size;
    *size = *known ? (uint64_t)(st.st_size - pos) : 0;
    return CLI_OK;
}

/* Where to write: --append at the remote size, --offset N, else truncate. */
static int store_offset(const cli_opts *o, cli_session *s, const char *path, uint64_t *offset,
                        int *flags)
{
    *offset = o->offset;
    *flags = (o->seen & (OPT_OFFSET | OPT_APPEND)) ? 0 : ASMB_STORE_TRUNCATE;
    if (!(o->seen & OPT_APPEND)) return CLI_OK;
    asmb_file_info info;
    asmb_failure e;
    if (attributes(s, path, &info, &e)) {
        if (s->interrupted) return cli_error(CLI_INTERRUPTED, "interrupted: nothing uploaded");
        if (e.code == ASMB_EFAILURE && e.ntstatus == STATUS_OBJECT_NAME_NOT_FOUND) {
            *offset = 0; /* a new file */
            return CLI_OK;
        }
        return report_error(&e);
    }
    *offset = info.file_size;
    return CLI_OK;
}

static int store(const cli_opts *o, cli_session *s, const char *path, put_source *p,
                 uint64_t size, int known)
{
    uint64_t offset;
    int flags;
    int status = store_offset(o, s, path, &offset, &flags);
    if (status) return status;
    progress_init(p->pg, show_progress(o), size, known);
    asmb_source src = {source_read, p, -1};
    asmb_failure e;
    asmb_deferred *d = NULL;
    int rc = offset == 0 && flags == ASMB_STORE_TRUNCATE
                 ? asmb_store_file(s->conn, s->url.share, path, &src, s->op, &d)
                 : asmb_store_file_from_offset(s->conn, s->url.share, path, &src, offset, flags,
                                               s->op, &d);
    if (session_wait(s, rc, d, &e)) {
        if (p->pg->drawn) fputc('\n', stderr);
        if (s->interrupted)
            return interrupted("upload to", path, p->pg->done, "; the remote file is incomplete");
        return p->err ? local_error(o->args[0], p->err) : report_error(&e);
    }
    asmb_deferred_unref(d);
    progress_finish(p->pg);
    return CLI_OK;
}

int cmd_put(const cli_opts *o)
{
    if (o->nargs > 2) return batch_put(o);
    cli_session s;
    put_source p;
    progress pg;
    char *path = NULL;
    uint64_t size = 0;
    int known = 0;
    memset(&p, 0, sizeof p);
    p.fd = -1;
    p.pg = &pg;
    if ((o->seen & OPT_APPEND) && (o->seen & OPT_OFFSET))
        return cli_error(CLI_USAGE, "put: --append and --offset exclude each other");
    int status = session_parse(o->args[1], 1, &s);
    if (!status) status = remote_target(o->args[0], &s.url, &path);
    if (!status) status = open_source(o->args[0], &p, &size, &known);
    if (!status) status = session_connect_async(o, &s);
    if (!status) status = store(o, &s, path, &p, size, known);
    if (p.fd > 0) close(p.fd);
    free(path);
    session_close(&s);
    return status;
}
