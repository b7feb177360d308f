/* asmb command-line tool: shared declarations.
 *
 * main.c      options, help, dispatch
 * url.c       smb:// URLs (on asmb_url_parse): messages, passwords, paths
 * creds.c     credentials (-U, -W, -N, -A, ASMB_PASSWORD, prompt) and the connection
 * commands.c  ls, stat, rm, mkdir, rmdir, mv, getacl, echo, shares, snapshots
 * transfer.c  get, put of one file
 * batch.c     get, put of several files at once (-j), on the asynchronous API
 * output.c    text and JSON output, the progress bar
 *
 * No mutable globals: everything lives in the cli_opts given to each function. */
#ifndef ASMB_CLI_H
#define ASMB_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <asmb/asmb.h>
#include <asmb/asmb_sync.h>

enum { /* exit statuses */
    CLI_OK = 0,
    CLI_FAIL = 1,    /* the operation failed (server refusal, local file error) */
    CLI_USAGE = 2,   /* bad command line */
    CLI_AUTH = 3,    /* authentication failed */
    CLI_CONN = 4,    /* could not connect, or the connection was lost */
    CLI_TIMEOUT = 5, /* timed out */
    CLI_INTERRUPTED = 130 /* Ctrl-C (SIGINT) canceled a get or put: 128 + 2, as shells say */
};

enum { /* command-specific options, as bits (cli_opts.seen) */
    OPT_OFFSET = 1,
    OPT_LENGTH = 2,
    OPT_APPEND = 4,
    OPT_RECURSIVE = 8,
    OPT_REPLACE = 16,
    OPT_SNAPSHOT = 32,
    OPT_JOBS = 64,
    OPT_OVERWRITE = 128,
    OPT_PARENTS = 256,     /* mkdir -p */
    OPT_KEEP_PARTIAL = 512 /* get --keep-partial */
};

enum { CLI_JOBS_DEFAULT = 4, CLI_JOBS_MAX = 64 }; /* -j */

/* Credentials from one source; NULL = not given. Heap strings. */
typedef struct cli_creds {
    char *user, *password, *domain;
} cli_creds;

typedef struct cli_opts cli_opts;
/* The port: the URL's, else -p, else 139 with --netbios, else 445. */
int cli_port(const cli_opts *o, int url_port);

typedef struct cli_opts {
    cli_creds u_opt;      /* -U */
    cli_creds a_file;     /* -A */
    char *w_domain;       /* -W */
    int no_password;      /* -N */
    int port;             /* -p; default 445 (139 with --netbios) */
    int port_set;         /* -p given */
    int netbios;          /* --netbios: NetBIOS session service */
    uint16_t cipher;      /* --cipher: preferred ASMB_CIPHER_*, 0 = library order */
    uint16_t min_dialect, max_dialect;
    int signing, encryption;
    unsigned timeout_ms;  /* --timeout; 0 = library defaults */
    int quiet, json, help, version;
    int log_level;        /* --debug: ASMB_LOG_*, 0 = silent */
    int allow_guest;      /* --allow-guest: accept a guest session despite credentials */
    int no_compound;      /* --no-compound: asmb_config.no_compound */
    /* command-specific */
    unsigned seen;        /* OPT_* given */
    uint64_t offset;
    int64_t length;
    int64_t snapshot;     /* --snapshot: Unix seconds (> 0) */
    unsigned jobs;        /* -j: transfers in flight at once (get, put of several files) */
    /* the command and its positional arguments (pointers into argv) */
    const char *command;
    const char **args;
    int nargs;
} cli_opts;

/* ---- url.c ---- */
/* asmb_url_parse; CLI_OK, or an exit status with the reason printed (the
 * URL shown without its password). Release *out with asmb_url_clear. */
int url_parse(const char *text, asmb_url *out);
int url_is_smb(const char *text);
/* Where the password of a "SCHEME://[DOMAIN;]USER:PASSWORD@HOST..." text is
 * (bytes start..start+len): 0, or -1 when it has none. */
int url_password_span(const char *text, size_t *start, size_t *len);
/* A new string for messages: text with its password replaced by "***". */
char *url_redact(const char *text);
/* Hides s[start..start+len) (a password in argv) from /proc/PID/cmdline:
 * "***" (when len >= 3) and the rest of s moved up; the bytes left over at
 * the end become NULs, so the length is still visible. */
void hide_secret(char *s, size_t start, size_t len);
/* A new string: the last non-empty component of a path ('/' or backslash
 * separators), "" when none; NULL when out of memory. */
char *path_basename(const char *path);
/* A new string: path without its last component ("" when none). */
char *path_dirname(const char *path);

/* ---- creds.c ---- */
/* One connection: blocking (sync, session_connect) for the one-operation
 * commands, or on our own loop (conn, session_connect_async) for batches of
 * transfers in flight together. */
typedef struct cli_session {
    asmb_sync *sync;
    asmb_conn *conn;
    uv_loop_t loop;      /* conn's; initialised when conn is set */
    int auth;            /* async: 0 pending, 1 ok, -1 failed */
    int ended;           /* async: the connection ended */
    asmb_failure auth_err; /* async: why authentication failed */
    asmb_url url;
    asmb_opts opts;
    const asmb_opts *op; /* &opts with --timeout or --snapshot, else NULL */
    /* async: Ctrl-C cancels (a second one kills) instead of killing at once */
    uv_signal_t sigint;
    int sigint_on;       /* sigint initialised */
    int interrupted;     /* Ctrl-C came: start nothing more */
    asmb_deferred *waiting;              /* what session_wait waits for (canceled) */
    void (*on_interrupt)(void *arg);     /* also called on Ctrl-C (batch: cancels) */
    void *interrupt_arg;
} cli_session;

/* Parses "[DOMAIN\]USER[%PASSWORD]" (-U). */
int creds_parse_user(const char *text, cli_creds *out);
/* Reads an smbclient-style authentication file; 0 or -1 (message printed). */
int creds_read_file(const char *file, cli_creds *out);
void creds_free(cli_creds *c);
/* session_open = session_parse (url_text; a share required when need_share)
 * + session_connect (credentials, then connect and authenticate). Each returns
 * CLI_OK or an exit status (message printed). session_close frees either. */
int session_parse(const char *url_text, int need_share, cli_session *out);
int session_connect(const cli_opts *o, cli_session *s);
int session_open(const cli_opts *o, const char *url_text, int need_share, cli_session *out);
/* session_connect on an asmb_conn of our own loop (s->conn, s->loop), with
 * Ctrl-C turned into s->interrupted (CLI_INTERRUPTED when it came before
 * authentication ended). */
int session_connect_async(const cli_opts *o, cli_session *s);
/* Runs s->loop until d (started with return code rc) fires. 0 with d still
 * referenced (read asmb_deferred_result, then asmb_deferred_unref), else the
 * failure's code with *err filled (for report_error) and d released. */
int session_wait(cli_session *s, int rc, asmb_deferred *d, asmb_failure *err);
void session_close(cli_session *s);
/* --debug: prints "asmb: LEVEL: FORMAT..." to stderr when level is enabled. */
void cli_log(const cli_opts *o, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints "asmb: MESSAGE" for a library failure (and a hint for a signature
 * failure: --no-compound); returns the exit status. */
int report_error(const asmb_failure *e);
int exit_status_of(int code);
/* Prints "asmb: FORMAT..." to stderr; returns status. */
int cli_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- commands.c, transfer.c ---- */
int cmd_ls(const cli_opts *o);
int cmd_stat(const cli_opts *o);
int cmd_get(const cli_opts *o);
int cmd_put(const cli_opts *o);
int cmd_rm(const cli_opts *o);
int cmd_mkdir(const cli_opts *o);
int cmd_rmdir(const cli_opts *o);
int cmd_mv(const cli_opts *o);
int cmd_getacl(const cli_opts *o);
int cmd_echo(const cli_opts *o);
int cmd_shares(const cli_opts *o);
int cmd_snapshots(const cli_opts *o);

/* ---- transfer.c, shared with batch.c ---- */
int show_progress(const cli_opts *o);
/* A new string: dir + "/" + name ("name" when dir is ""); NULL when out of memory. */
char *path_join(const char *dir, const char *name);
/* 1 when the last component of text has a wildcard (* or ?). */
int has_wildcard(const char *text);

typedef struct progress progress;
/* Where get writes: opened at the first byte (sink_open), so that a failed
 * retrieve leaves no empty file and does not truncate an existing one. */
typedef struct get_sink {
    const char *local; /* for messages; NULL = stdout */
    int dirfd;         /* opened as name in dirfd (AT_FDCWD or LOCALDIR's), */
    const char *name;  /* never through a symbolic link (O_NOFOLLOW) */
    int excl;          /* only a new file (O_EXCL), else an existing one is truncated */
    int fd, opened, err;
    progress *pg;
} get_sink;
int sink_open(get_sink *g);
/* After a failed get: closes the local file and removes it (what it holds is
 * partial) unless keep; 1 when a file was removed. */
int sink_discard(get_sink *g, int keep);
/* strerror, but ELOOP (O_NOFOLLOW met a symbolic link) says so. */
const char *local_strerror(int err);
int sink_write(void *arg, const void *data, size_t len); /* an asmb_sink's write */
typedef struct put_source {
    int fd, err;
    progress *pg;
} put_source;
long source_read(void *arg, void *buf, size_t len); /* an asmb_source's read */

/* ---- batch.c: several files, jobs in flight at once ---- */
/* get URL... LOCALDIR (or a wildcard), put LOCAL... URL/. */
int batch_get(const cli_opts *o);
int batch_put(const cli_opts *o);

/* ---- output.c ---- */
void out_entry_text(FILE *f, const asmb_file_info *e);
void out_entry_json(FILE *f, const asmb_file_info *e);
void out_stat_text(FILE *f, const asmb_file_info *e);
void out_security_text(FILE *f, const asmb_security *sec);
void out_security_json(FILE *f, const asmb_security *sec);
/* JSON string; control characters (C0, DEL, C1), bidirectional controls as
 * \uXXXX, an invalid UTF-8 byte as \ufffd. */
void out_json_string(FILE *f, const char *s);
/* Prints a string that may come from the server (names, comments, messages)
 * for a terminal: C0 controls, DEL and invalid UTF-8 bytes as \xNN, C1 and
 * bidirectional controls as \uNNNN; the rest as is. f NULL: prints nothing.
 * Returns the columns taken (one per code point or escape character). */
size_t out_safe(FILE *f, const char *s);
/* 1 when out_safe would print s unchanged (valid UTF-8, nothing to escape). */
int out_is_plain(const char *s);
/* Length (1-4) of the valid UTF-8 sequence at s, 0 when invalid (overlong,
 * surrogate, truncated, above U+10FFFF); *cp gets its code point. */
size_t utf8_seq(const unsigned char *s, uint32_t *cp);

/* ---- names.c: what a multi-file get accepts from the server ---- */
/* 1 when name matches pattern (* any run, ? one character), ignoring case
 * as the server does for common scripts; "*.*" is "*". */
int name_match(const char *pattern, const char *name);
/* NULL when name (listed by the server for pattern) is safe to create in the
 * target folder, else why not. */
const char *name_refusal(const char *pattern, const char *name);
void out_shares_text(FILE *f, const asmb_share_list *l);
void out_shares_json(FILE *f, const asmb_share_list *l);
void out_snapshots_text(FILE *f, const asmb_snapshot_list *l);
void out_snapshots_json(FILE *f, const asmb_snapshot_list *l);
/* Monotonic seconds. */
double out_now(void);
/* "2026-01-02T03:04:05Z" (frac = 0) or "2026-01-02T03:04:05.1234567Z". */
void out_iso_time(char *buf, size_t len, uint64_t filetime, int frac);

struct progress {
    int enabled;
    uint64_t done, total;
    int total_known;
    double start, last_draw; /* monotonic seconds */
    int drawn;
};

void progress_init(progress *p, int enabled, uint64_t total, int total_known);
void progress_add(progress *p, uint64_t n);
/* Final redraw and newline (when enabled). */
void progress_finish(progress *p);
/* Clears a drawn bar's line, before a message (the next update redraws it). */
void progress_clear(progress *p);

#endif
