/* get and put of several files: one connection on our own loop, every file an
 * asynchronous retrieve or store, at most -j of them in flight. The library
 * pipelines the requests of all of them (credits), so small files do not each
 * wait for a round trip and large ones keep the link busy; the scheduler here
 * only starts the next file when one ends.
 *
 * A failing file does not stop the others: its message is printed at once and
 * kept for --json; a failed get leaves no partial file (unless --keep-partial).
 * Once the connection is lost nothing more is started; Ctrl-C cancels every
 * transfer in flight and starts nothing more. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { JOB_WAITING, JOB_RUNNING, JOB_OK, JOB_FAILED, JOB_SKIPPED };

typedef struct batch batch;

typedef struct job {
    batch *b;
    const char *share; /* the source URL's (get) or the target's (put) */
    char *remote;      /* path in the share */
    char *local;       /* NULL for a get source that matched nothing, or skipped */
    const char *leaf;  /* get: the name in the target folder (the end of local) */
    uint64_t size;     /* expected bytes, for the progress bar */
    uint64_t bytes;    /* transferred, once done */
    double start, seconds;
    int state;
    asmb_deferred *d;  /* while running: what Ctrl-C cancels */
    char *error;       /* why it failed */
    get_sink g;        /* get */
    asmb_sink sink;
    put_source p;      /* put */
    asmb_source src;
} job;

struct batch {
    const cli_opts *o;
    cli_session s;    /* the connection and the first (get) or only (put) URL */
    asmb_url *urls;    /* get: every source URL */
    size_t nurls;
    int put;
    job *jobs;
    size_t n, cap, next, running, failed, skipped;
    int dirfd;        /* get: the target folder, where every file is opened */
    int lost;         /* the connection ended: start nothing more */
    progress pg;
    double start;
};

static void batch_init(batch *b, const cli_opts *o, int put)
{
    memset(b, 0, sizeof *b);
    b->o = o;
    b->put = put;
    b->dirfd = -1;
}

static void batch_free(batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->jobs[i].remote);
        free(b->jobs[i].local);
        free(b->jobs[i].error);
    }
    free(b->jobs);
    session_close(&b->s);
    for (size_t i = 0; i < b->nurls; i++) asmb_url_clear(&b->urls[i]);
    free(b->urls);
    if (b->dirfd >= 0) close(b->dirfd);
}

/* A new job; takes remote and local (either may be NULL when out of memory:
 * then NULL is returned). */
static job *add_job(batch *b, const char *share, char *remote, char *local, uint64_t size)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        job *j = realloc(b->jobs, cap * sizeof *j);
        if (!j) goto oom;
        b->jobs = j;
        b->cap = cap;
    }
    if (!remote) goto oom;
    job *j = &b->jobs[b->n++];
    memset(j, 0, sizeof *j);
    j->b = b;
    j->share = share;
    j->remote = remote;
    j->local = local;
    j->size = size;
    j->g.fd = j->p.fd = -1;
    return j;
oom:
    free(remote);
    free(local);
    return NULL;
}

/* Marks j failed with a message, printed now (above the progress bar). */
static void job_fail(job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void job_fail(job *j, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j->state = JOB_FAILED;
    j->error = strdup(msg);
    j->b->failed++;
    progress_clear(&j->b->pg);
    cli_error(0, "%s", msg);
}

/* Marks j skipped (nothing written) because of why: printed now, kept for --json. */
static void job_skip(job *j, const char *why)
{
    char msg[512];
    snprintf(msg, sizeof msg, "skipped '%s': %s", j->remote, why);
    free(j->local);
    j->local = NULL;
    j->state = JOB_SKIPPED;
    j->error = strdup(msg);
    j->b->skipped++;
    cli_error(0, "%s", msg);
}

static void job_fail_error(job *j, const asmb_failure *e)
{
    if (e->message[0]) job_fail(j, "%s", e->message);
    else job_fail(j, "%s: %s", asmb_err_name(e->code), asmb_strerror(e->code));
    if (exit_status_of(e->code) == CLI_CONN || j->b->s.ended) j->b->lost = 1;
}

/* ---- running ---- */

static void start_more(batch *b);

/* Closes the local file; the errno of a failed close of a written file. */
static int close_local(job *j)
{
    int err = 0;
    if (j->g.opened && close(j->g.fd)) err = errno;
    if (j->p.fd >= 0) close(j->p.fd);
    j->g.opened = 0;
    j->p.fd = -1;
    return err;
}

/* A failed get's partial file goes, unless --keep-partial; " (partial file
 * removed)" or "" for the message. */
static const char *discard_partial(job *j)
{
    if (j->b->put) return "";
    return sink_discard(&j->g, !!(j->b->o->seen & OPT_KEEP_PARTIAL)) ? " (partial file removed)"
                                                                     : "";
}

static void job_ended(job *j)
{
    j->d = NULL;
    j->seconds = out_now() - j->start;
    j->b->running--;
    start_more(j->b);
}

static void on_done(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    job *j = arg;
    j->bytes = j->b->put ? ((const asmb_store_result *)result)->bytes
                         : ((const asmb_retrieve_result *)result)->bytes;
    int err = !j->b->put && sink_open(&j->g) ? j->g.err : 0; /* an empty file */
    int cerr = 0;
    if (!err && j->g.opened) {
        cerr = close(j->g.fd) ? errno : 0;
        j->g.fd = -1;
        j->g.opened = cerr != 0; /* a failed close leaves a partial file to discard */
    }
    if (err || cerr) {
        const char *gone = discard_partial(j);
        job_fail(j, "%s: %s%s", j->local, local_strerror(err ? err : cerr), gone);
    } else {
        j->state = JOB_OK;
    }
    close_local(j);
    job_ended(j);
}

static void on_fail(asmb_deferred *d, const asmb_failure *f, void *arg)
{
    (void)d;
    job *j = arg;
    int err = j->b->put ? j->p.err : j->g.err;
    const char *gone = discard_partial(j);
    close_local(j);
    if (err) {
        job_fail(j, "%s: %s%s", j->local, local_strerror(err), gone);
    } else if (j->b->s.interrupted) {
        job_fail(j, "'%s': canceled%s", j->remote, gone);
    } else {
        asmb_failure e = *f;
        snprintf(e.message, sizeof e.message, "%.*s%s", (int)(sizeof e.message - strlen(gone) - 1),
                 f->message, gone);
        job_fail_error(j, &e);
    }
    job_ended(j);
}

/* put: the local file, opened only now so that -j bounds the open files. */
static int open_source(job *j)
{
    struct stat st;
    j->p.fd = open(j->local, O_RDONLY | O_CLOEXEC);
    if (j->p.fd < 0) return errno;
    if (fstat(j->p.fd, &st)) return errno;
    return S_ISDIR(st.st_mode) ? EISDIR : 0;
}

/* Starts j's transfer; on an immediate failure j is failed and not running. */
static void start_job(job *j)
{
    batch *b = j->b;
    asmb_deferred *d = NULL;
    int rc;
    j->state = JOB_RUNNING;
    j->start = out_now();
    if (b->put) {
        int err = open_source(j);
        if (err) {
            close_local(j);
            job_fail(j, "%s: %s", j->local, strerror(err));
            return;
        }
        j->p.pg = &b->pg;
        j->src = (asmb_source){source_read, &j->p, -1};
        rc = asmb_store_file(b->s.conn, j->share, j->remote, &j->src, b->s.op, &d);
    } else {
        j->g = (get_sink){.local = j->local, .dirfd = b->dirfd, .name = j->leaf,
                          .excl = !(b->o->seen & OPT_OVERWRITE), .fd = -1, .pg = &b->pg};
        j->sink = (asmb_sink){sink_write, &j->g, -1};
        rc = asmb_retrieve_file(b->s.conn, j->share, j->remote, &j->sink, b->s.op, &d);
    }
    if (!rc && asmb_deferred_then(d, on_done, on_fail, j)) {
        asmb_deferred_cancel(d); /* it completes unobserved; nothing uses j after */
        rc = ASMB_ENOMEM;
    }
    if (rc) {
        asmb_failure e = {rc, 0, ""};
        snprintf(e.message, sizeof e.message, "%s", asmb_conn_last_error(b->s.conn));
        close_local(j);
        job_fail_error(j, &e);
        return;
    }
    j->d = d;
    b->running++;
}

/* Ctrl-C (session's on_interrupt): cancel what runs; start_more starts no more. */
static void interrupt_all(void *arg)
{
    batch *b = arg;
    for (size_t i = 0; i < b->n; i++)
        if (b->jobs[i].state == JOB_RUNNING && b->jobs[i].d) asmb_deferred_cancel(b->jobs[i].d);
}

/* Fills the window. Not reentered: callbacks run from the loop, not from
 * start_job. */
static void start_more(batch *b)
{
    while (!b->lost && !b->s.interrupted && b->running < b->o->jobs && b->next < b->n) {
        job *j = &b->jobs[b->next++];
        if (j->state == JOB_WAITING) start_job(j);
    }
}

static void print_json(const batch *b)
{
    fputc('[', stdout);
    for (size_t i = 0; i < b->n; i++) {
        const job *j = &b->jobs[i];
        int ok = j->state == JOB_OK;
        fputs(i ? ",\n  {\"share\": " : "\n  {\"share\": ", stdout);
        out_json_string(stdout, j->share);
        fputs(", \"path\": ", stdout);
        out_json_string(stdout, j->remote);
        fputs(", \"local\": ", stdout);
        if (j->local) out_json_string(stdout, j->local);
        else fputs("null", stdout);
        printf(", \"ok\": %s, \"skipped\": %s, \"bytes\": %" PRIu64
               ", \"seconds\": %.6f, \"error\": ",
               ok ? "true" : "false", j->state == JOB_SKIPPED ? "true" : "false",
               ok ? j->bytes : 0, j->seconds);
        if (ok) fputs("null", stdout);
        else if (j->state == JOB_WAITING)
            out_json_string(stdout, b->s.interrupted ? "not started: interrupted"
                                                     : "not started: the connection was lost");
        else out_json_string(stdout, j->error ? j->error : "out of memory");
        fputc('}', stdout);
    }
    fputs(b->n ? "\n]\n" : "]\n", stdout);
}

/* Runs every waiting job; the results as JSON and a summary line. */
static int batch_run(batch *b)
{
    uint64_t total = 0;
    for (size_t i = 0; i < b->n; i++) total += b->jobs[i].size;
    progress_init(&b->pg, show_progress(b->o), total, 1);
    b->start = out_now();
    b->s.on_interrupt = interrupt_all;
    b->s.interrupt_arg = b;
    start_more(b);
    while (b->running && uv_run(&b->s.loop, UV_RUN_ONCE)) {
    }
    double secs = out_now() - b->start;
    size_t files = 0, unstarted = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < b->n; i++) {
        files += b->jobs[i].local != NULL; /* not a source that matched nothing, nor skipped */
        unstarted += b->jobs[i].state == JOB_WAITING;
        bytes += b->jobs[i].state == JOB_OK ? b->jobs[i].bytes : 0;
    }
    if (files) progress_finish(&b->pg);
    if (unstarted && !b->s.interrupted)
        cli_error(0, "%zu files not started: the connection was lost", unstarted);
    if (b->o->json) print_json(b);
    if (!b->o->quiet && (files || b->skipped)) {
        fprintf(stderr, "%zu file%s", files, files == 1 ? "" : "s");
        if (b->failed + unstarted) fprintf(stderr, " (%zu failed)", b->failed + unstarted);
        if (b->skipped) fprintf(stderr, ", %zu skipped", b->skipped);
        fprintf(stderr, ", %" PRIu64 " bytes in %.2f s, %.2f MB/s\n", bytes, secs,
                secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
    }
    if (b->s.interrupted)
        return cli_error(CLI_INTERRUPTED, "interrupted: transfers canceled, %zu not started",
                         unstarted);
    /* a skipped name is a file the user did not get, or a server to distrust */
    return b->lost ? CLI_CONN : b->failed || b->skipped ? CLI_FAIL : CLI_OK;
}

/* Two jobs with the same target would overwrite each other (remote names are
 * case-insensitive). */
static int cmp_remote(const void *x, const void *y)
{
    return strcasecmp((*(job *const *)x)->remote, (*(job *const *)y)->remote);
}

static int cmp_local(const void *x, const void *y)
{
    const char *a = (*(job *const *)x)->local, *c = (*(job *const *)y)->local;
    return a && c ? strcmp(a, c) : (a != NULL) - (c != NULL);
}

static int check_duplicates(batch *b)
{
    if (b->n < 2) return CLI_OK;
    job **v = malloc(b->n * sizeof *v);
    if (!v) return cli_error(CLI_FAIL, "out of memory");
    for (size_t i = 0; i < b->n; i++) v[i] = &b->jobs[i];
    int (*cmp)(const void *, const void *) = b->put ? cmp_remote : cmp_local;
    qsort(v, b->n, sizeof *v, cmp);
    int status = CLI_OK;
    for (size_t i = 1; i < b->n && !status; i++)
        if (v[i]->local && !cmp(&v[i - 1], &v[i]))
            status = cli_error(CLI_USAGE, "%s: two files would be written to '%s'", b->o->command,
                               b->put ? v[i]->remote : v[i]->local);
    free(v);
    return status;
}

/* ---- get ---- */

/* Why name can't be written in the target folder (NULL: it can). Opening
 * with O_NOFOLLOW and O_EXCL (without --overwrite) still guards against a
 * file planted after this check. */
static const char *local_refusal(const batch *b, const char *name)
{
    struct stat st;
    if (fstatat(b->dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) return NULL; /* absent */
    if (S_ISLNK(st.st_mode)) return "a symbolic link in the target folder (not followed)";
    if (!S_ISREG(st.st_mode)) return "exists in the target folder, not as a regular file";
    if (b->o->seen & OPT_OVERWRITE) return NULL;
    return "exists in the target folder (--overwrite replaces it)";
}

static int cmp_job_remote(const void *x, const void *y)
{
    return strcmp(((const job *)x)->remote, ((const job *)y)->remote);
}

/* Adds the regular files of a listing, sorted by name; *added: how many.
 * A name the server should not have listed for pattern, or that would land
 * on something already in the target folder, is a skipped job. */
static int add_entries(batch *b, const asmb_url *u, const char *dir, const char *pattern,
                       const char *localdir, const asmb_file_list *list, size_t *added)
{
    size_t first = b->n;
    for (size_t i = 0; i < list->count; i++) {
        const asmb_file_info *e = &list->entries[i];
        if (e->is_directory) continue;
        const char *why = name_refusal(pattern, e->filename);
        if (!why) why = local_refusal(b, e->filename);
        char *local = path_join(localdir, e->filename);
        job *j = local ? add_job(b, u->share, path_join(dir, e->filename), local, e->file_size)
                       : NULL;
        if (!j) return cli_error(CLI_FAIL, "out of memory");
        if (why) job_skip(j, why);
        else j->leaf = j->local + strlen(j->local) - strlen(e->filename);
    }
    if (b->n > first) qsort(b->jobs + first, b->n - first, sizeof *b->jobs, cmp_job_remote);
    *added = b->n - first;
    return CLI_OK;
}

/* Lists one source (its last component is the pattern: a wildcard, or one
 * name) and adds a job per regular file; a failed listing or no match is a
 * failed job of its own. CLI_OK or a status that ends the command. */
static int add_source(batch *b, const asmb_url *u, const char *localdir)
{
    char *dir = path_dirname(u->path), *pattern = path_basename(u->path);
    asmb_deferred *d = NULL;
    asmb_failure e;
    size_t added = 0;
    int status = !dir || !pattern ? cli_error(CLI_FAIL, "out of memory") : CLI_OK;
    if (!status) {
        int rc = asmb_list_path(b->s.conn, u->share, dir, ASMB_SEARCH_DEFAULT, pattern, b->s.op,
                                &d);
        if (session_wait(&b->s, rc, d, &e)) {
            job *j = add_job(b, u->share, strdup(u->path), NULL, 0);
            if (j) job_fail_error(j, &e);
            status = !j ? cli_error(CLI_FAIL, "out of memory") : b->lost ? CLI_CONN : CLI_OK;
            added = 1; /* reported */
        } else {
            status = add_entries(b, u, dir, pattern, localdir, asmb_deferred_result(d), &added);
            asmb_deferred_unref(d);
        }
    }
    if (!status && !added) {
        job *j = add_job(b, u->share, strdup(u->path), NULL, 0);
        if (!j) status = cli_error(CLI_FAIL, "out of memory");
        else if (strpbrk(pattern, "*?")) job_fail(j, "no files match '%s'", u->path);
        else job_fail(j, "'%s': no such file (or a directory)", u->path);
    }
    free(dir);
    free(pattern);
    return status;
}

/* Every source URL, on the session's server, naming something in a share. */
static int parse_sources(batch *b, const char **args, size_t n)
{
    const asmb_url *first = &b->s.url;
    if (!(b->urls = calloc(n, sizeof *b->urls))) return cli_error(CLI_FAIL, "out of memory");
    for (; b->nurls < n; b->nurls++) {
        asmb_url *u = &b->urls[b->nurls];
        int status = url_parse(args[b->nurls], u);
        if (status) return status;
        const char *fu = first->username, *uu = u->username;
        if (strcasecmp(u->host, first->host) ||
            cli_port(b->o, u->port) != cli_port(b->o, first->port) ||
            (uu && (!fu || strcmp(uu, fu))))
            return cli_error(CLI_USAGE, "get: every URL must be on the same server, as the same user");
        if (!u->share || !u->path[strspn(u->path, "/\\")]) {
            char *shown = url_redact(args[b->nurls]);
            cli_error(CLI_USAGE, "get: the URL must name a file: %s", shown ? shown : "");
            free(shown);
            return CLI_USAGE;
        }
    }
    return CLI_OK;
}

int batch_get(const cli_opts *o)
{
    if (o->seen & (OPT_OFFSET | OPT_LENGTH))
        return cli_error(CLI_USAGE, "get: --offset and --length apply to one file only");
    size_t nsrc = o->nargs > 1 ? (size_t)o->nargs - 1 : 1;
    const char *localdir = o->nargs > 1 ? o->args[o->nargs - 1] : ".";
    if (!strcmp(localdir, "-") || url_is_smb(localdir))
        return cli_error(CLI_USAGE, "get: several files go to a local directory (the last argument)");
    struct stat st;
    if (stat(localdir, &st)) return cli_error(CLI_FAIL, "get: %s: %s", localdir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return cli_error(CLI_FAIL, "get: %s: not a directory", localdir);
    batch b;
    batch_init(&b, o, 0);
    /* every file is opened in this folder by name: no path from the server */
    b.dirfd = open(localdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int status = b.dirfd < 0 ? cli_error(CLI_FAIL, "get: %s: %s", localdir, strerror(errno))
                             : session_parse(o->args[0], 1, &b.s);
    if (!status) status = parse_sources(&b, o->args, nsrc);
    if (!status) status = session_connect_async(o, &b.s);
    for (size_t i = 0; i < b.nurls && !status; i++) status = add_source(&b, &b.urls[i], localdir);
    if (!status) status = check_duplicates(&b);
    if (!status) status = batch_run(&b);
    batch_free(&b);
    return status;
}

/* ---- put ---- */

/* A job per local file, into the URL's directory. */
static int add_locals(batch *b, const char **locals, size_t n)
{
    const asmb_url *u = &b->s.url;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (!strcmp(locals[i], "-"))
            return cli_error(CLI_USAGE, "put: standard input (-) goes alone");
        char *base = path_basename(locals[i]);
        if (base && (!*base || !strcmp(base, ".") || !strcmp(base, ".."))) {
            free(base);
            return cli_error(CLI_USAGE, "put: LOCAL must name a file: %s", locals[i]);
        }
        /* a missing file still gets its job: opening it reports the error */
        uint64_t size = stat(locals[i], &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
        char *remote = base ? path_join(u->path, base) : NULL;
        free(base);
        if (!add_job(b, u->share, remote, strdup(locals[i]), size) || !b->jobs[b->n - 1].local)
            return cli_error(CLI_FAIL, "out of memory");
    }
    return CLI_OK;
}

/* The URL must name a directory (the share's root needs no check). */
static int check_remote_dir(batch *b)
{
    const char *path = b->s.url.path;
    if (!path[strspn(path, "/\\")]) return CLI_OK;
    asmb_deferred *d = NULL;
    asmb_failure e;
    int rc = asmb_get_attributes(b->s.conn, b->s.url.share, path, b->s.op, &d);
    if (session_wait(&b->s, rc, d, &e)) return report_error(&e);
    int dir = ((const asmb_file_info *)asmb_deferred_result(d))->is_directory;
    asmb_deferred_unref(d);
    return dir ? CLI_OK : cli_error(CLI_FAIL, "put: '%s' is not a directory", path);
}

int batch_put(const cli_opts *o)
{
    if (o->seen & (OPT_OFFSET | OPT_APPEND))
        return cli_error(CLI_USAGE, "put: --offset and --append apply to one file only");
    size_t nlocal = (size_t)o->nargs - 1;
    batch b;
    batch_init(&b, o, 1);
    int status = session_parse(o->args[nlocal], 1, &b.s);
    if (!status) status = add_locals(&b, o->args, nlocal);
    if (!status) status = check_duplicates(&b);
    if (!status) status = session_connect_async(o, &b.s);
    if (!status) status = check_remote_dir(&b);
    if (!status) status = batch_run(&b);
    batch_free(&b);
    return status;
}
