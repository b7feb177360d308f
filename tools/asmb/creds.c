/* Credentials and the connection.
 *
 * User:     -U, else the URL's, else -A's; none = anonymous.
 * Domain:   -U's (DOMAIN\USER), else -W, else the URL's, else -A's.
 * Password: -U's, else the URL's, else -A's, else $ASMB_PASSWORD (not with -N),
 *           else, with a user, a terminal on stdin and no -N, a prompt without
 *           echo; else empty. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

/* Every message goes through out_safe: server names, paths and error texts
 * must not reach the terminal as escape sequences. */
static void print_message(const char *prefix, const char *fmt, va_list ap)
{
    char buf[1024], *msg = buf;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n >= (int)sizeof buf && (msg = malloc((size_t)n + 1))) vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    fputs(prefix, stderr);
    out_safe(stderr, msg ? msg : buf);
    fputc('\n', stderr);
    if (msg != buf) free(msg);
}

int cli_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_message("asmb: ", fmt, ap);
    va_end(ap);
    return status;
}

int exit_status_of(int code)
{
    switch (code) {
    case 0: return CLI_OK;
    case ASMB_EAUTH: return CLI_AUTH;
    case ASMB_ECONNREFUSED:
    case ASMB_ERESOLVE:
    case ASMB_ECONNRESET:
    case ASMB_EIO:
    case ASMB_ENOTCONN:
    case ASMB_ENOTSMB: return CLI_CONN;
    case ASMB_EINVAL: return CLI_USAGE; /* an argument refused at once (a path not UTF-8) */
    case ASMB_ETIMEDOUT: return CLI_TIMEOUT;
    default: return CLI_FAIL;
    }
}

/* Authentication failures: no hint (nothing was compounded yet). */
static int report_auth_error(const asmb_failure *e)
{
    if (e->message[0]) cli_error(0, "%s", e->message);
    else cli_error(0, "%s: %s", asmb_err_name(e->code), asmb_strerror(e->code));
    return exit_status_of(e->code);
}

int report_error(const asmb_failure *e)
{
    if (e->code == ASMB_ESIGNATURE) { /* after authentication: the known cause has a knob */
        report_auth_error(e);
        return cli_error(exit_status_of(e->code), "hint: a server that signs compounded replies "
                                                  "wrongly (impacket) needs --no-compound");
    }
    return report_auth_error(e);
}

static void wipe(char *s)
{
    if (!s) return;
    volatile char *v = s;
    while (*v) *v++ = 0;
}

void creds_free(cli_creds *c)
{
    wipe(c->password);
    free(c->user);
    free(c->password);
    free(c->domain);
    c->user = c->password = c->domain = NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* "DOMAIN\USER" or "DOMAIN/USER" (len bytes) into c->domain (if still unset) and c->user. */
static int split_user(const char *s, size_t len, cli_creds *c)
{
    size_t sep = 0;
    while (sep < len && s[sep] != '\\' && s[sep] != '/') sep++;
    if (sep < len) {
        if (!c->domain && sep > 0 && !(c->domain = dup_n(s, sep))) return -1;
        s += sep + 1;
        len -= sep + 1;
    }
    free(c->user);
    c->user = len ? dup_n(s, len) : NULL;
    return len && !c->user ? -1 : 0;
}

int creds_parse_user(const char *text, cli_creds *out)
{
    creds_free(out);
    const char *pct = strchr(text, '%');
    size_t ulen = pct ? (size_t)(pct - text) : strlen(text);
    if (split_user(text, ulen, out)) return -1;
    if (pct && !(out->password = strdup(pct + 1))) return -1;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && strchr(" \t\r\n", s[n - 1])) s[--n] = 0;
    return s;
}

/* One "key = value" line of an authentication file. */
static int auth_line(char *line, cli_creds *c, char **user)
{
    char *eq = strchr(line, '=');
    char *key = trim(line);
    if (!eq || !*key || *key == '#' || *key == ';') return 0;
    *eq = 0;
    key = trim(key);
    char *val = trim(eq + 1), **dst = NULL;
    if (!strcasecmp(key, "username")) dst = user;
    else if (!strcasecmp(key, "password")) dst = &c->password;
    else if (!strcasecmp(key, "domain")) dst = &c->domain;
    if (!dst) return 0;
    if (*dst) wipe(*dst);
    free(*dst);
    *dst = strdup(val);
    return *dst ? 0 : -1;
}

int creds_read_file(const char *file, cli_creds *out)
{
    FILE *f = fopen(file, "r");
    if (!f) return cli_error(-1, "-A %s: %s", file, strerror(errno));
    creds_free(out);
    char line[1024], *user = NULL;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) rc = auth_line(line, out, &user);
    wipe(line);
    fclose(f);
    if (!rc && user) rc = split_user(user, strlen(user), out);
    free(user);
    if (rc) return cli_error(-1, "-A %s: out of memory", file);
    return 0;
}

/* Reads a line from the terminal on stdin without echo. NULL on end of file;
 * ^C restores the terminal and then interrupts the process. */
static char *prompt_password(const char *user, const char *host)
{
    struct termios old, raw;
    if (tcgetattr(0, &old)) return NULL;
    raw = old;
    raw.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    fputs("Password for ", stderr);
    out_safe(stderr, user);
    fputc('@', stderr);
    out_safe(stderr, host);
    fputs(": ", stderr);
    fflush(stderr);
    if (tcsetattr(0, TCSANOW, &raw)) return NULL;
    char buf[512];
    size_t n = 0;
    int done = 0, interrupted = 0;
    while (!done) {
        unsigned char ch;
        ssize_t r = read(0, &ch, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || (ch == old.c_cc[VEOF] && n == 0)) done = -1;
        else if (ch == '\n' || ch == '\r') done = 1;
        else if (ch == old.c_cc[VINTR]) done = -1, interrupted = 1;
        else if (ch == old.c_cc[VERASE] || ch == 0x7f || ch == 0x08) {
            while (n && ((unsigned char)buf[n - 1] & 0xC0) == 0x80) n--; /* UTF-8 tail */
            if (n) n--;
        } else if (ch == old.c_cc[VKILL]) n = 0;
        else if (n < sizeof buf - 1) buf[n++] = (char)ch;
    }
    tcsetattr(0, TCSANOW, &old);
    fputc('\n', stderr);
    buf[n] = 0;
    char *pw = done > 0 ? strdup(buf) : NULL;
    volatile char *v = buf;
    for (size_t i = 0; i < sizeof buf; i++) v[i] = 0;
    if (interrupted) raise(SIGINT);
    return pw;
}

static int dup_opt(const char *s, char **dst)
{
    *dst = s ? strdup(s) : NULL;
    return s && !*dst ? -1 : 0;
}

/* Builds the credentials to use (see the top of this file). */
static int resolve_creds(const cli_opts *o, const asmb_url *u, cli_creds *out)
{
    const char *users[3] = {o->u_opt.user, u->username, o->a_file.user};
    const char *passes[3] = {o->u_opt.password, u->password, o->a_file.password};
    const char *user = NULL, *pass = NULL, *dom;
    for (int i = 0; i < 3; i++) {
        if (!user) user = users[i];
        if (!pass) pass = passes[i];
    }
    dom = o->u_opt.domain    ? o->u_opt.domain
          : o->w_domain      ? o->w_domain
          : u->domain        ? u->domain
                             : o->a_file.domain;
    if (!pass && !o->no_password) pass = getenv("ASMB_PASSWORD");
    if (!pass && o->no_password) pass = "";
    memset(out, 0, sizeof *out);
    if (!user) return CLI_OK; /* anonymous */
    if (dup_opt(user, &out->user) || dup_opt(dom, &out->domain) || dup_opt(pass, &out->password))
        return cli_error(CLI_FAIL, "out of memory");
    if (!pass && isatty(0)) {
        out->password = prompt_password(user, u->host);
        if (!out->password) return cli_error(CLI_USAGE, "no password entered");
    }
    return CLI_OK;
}

int session_parse(const char *url_text, int need_share, cli_session *s)
{
    memset(s, 0, sizeof *s);
    int status = url_parse(url_text, &s->url);
    if (status) return status;
    if (need_share && !s->url.share) {
        asmb_url_clear(&s->url);
        char *shown = url_redact(url_text);
        cli_error(CLI_USAGE, "the URL names no share: %s", shown ? shown : "");
        free(shown);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --debug: the library's messages and ours, one line each. */
static void log_line(int level, const char *message, void *arg)
{
    (void)arg;
    fprintf(stderr, "asmb: %s: ", asmb_log_level_name(level));
    out_safe(stderr, message);
    fputc('\n', stderr);
}

void cli_log(const cli_opts *o, int level, const char *fmt, ...)
{
    if (level > o->log_level) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_line(level, msg, NULL);
}

/* What authentication settled on, for --debug. */
static void log_negotiated(const cli_opts *o, const asmb_conn *conn)
{
    asmb_conn_info info;
    memset(&info, 0, sizeof info);
    if (o->log_level < ASMB_LOG_DEBUG || asmb_conn_info_get(conn, &info)) return;
    cli_log(o, ASMB_LOG_DEBUG,
            "negotiated %s, signing %s, encryption %s%s%s, max read/write %u/%u bytes",
            asmb_dialect_name(info.dialect),
            info.signing ? asmb_signing_name(info.signing_algorithm) : "off",
            info.cipher ? asmb_cipher_name(info.cipher) : "off", info.is_guest ? ", guest" : "",
            info.is_anonymous ? ", anonymous" : "", (unsigned)info.max_read_size,
            (unsigned)info.max_write_size);
}

/* The connection's configuration from the options; c holds its strings. */
static int make_config(const cli_opts *o, const asmb_url *u, asmb_config *cfg, cli_creds *c)
{
    int status = resolve_creds(o, u, c);
    if (status) {
        creds_free(c);
        return status;
    }
    asmb_config_init(cfg);
    cfg->username = c->user;
    cfg->password = c->password;
    cfg->domain = c->domain;
    cfg->min_dialect = o->min_dialect;
    cfg->max_dialect = o->max_dialect;
    cfg->signing = o->signing;
    cfg->encryption = o->encryption;
    cfg->ciphers[0] = o->cipher;
    cfg->netbios = o->netbios;
    cfg->allow_guest_fallback = o->allow_guest;
    cfg->no_compound = o->no_compound;
    if (o->timeout_ms)
        cfg->connect_timeout_ms = cfg->auth_timeout_ms = cfg->op_timeout_ms = o->timeout_ms;
    cfg->log_level = o->log_level;
    cfg->log = o->log_level ? log_line : NULL;
    return CLI_OK;
}

static void set_op(const cli_opts *o, cli_session *s)
{
    s->opts.timeout_ms = o->timeout_ms;
    s->opts.snapshot = o->snapshot; /* only ls, stat and get accept --snapshot */
    s->op = o->timeout_ms || o->snapshot ? &s->opts : NULL;
}

int session_connect(const cli_opts *o, cli_session *s)
{
    asmb_config cfg;
    cli_creds c;
    int status = make_config(o, &s->url, &cfg, &c);
    if (status) return status;
    asmb_failure e;
    memset(&e, 0, sizeof e);
    s->sync = asmb_sync_connect(s->url.host, cli_port(o, s->url.port), &cfg, &e);
    creds_free(&c);
    if (!s->sync) return report_auth_error(&e);
    log_negotiated(o, asmb_sync_conn(s->sync));
    set_op(o, s);
    return CLI_OK;
}

static void copy_failure(asmb_failure *e, const asmb_failure *f) { *e = *f; }

static void on_auth_ok(asmb_conn *conn, void *arg)
{
    (void)conn;
    ((cli_session *)arg)->auth = 1;
}

static void on_auth_failed(asmb_conn *conn, const asmb_failure *why, void *arg)
{
    (void)conn;
    cli_session *s = arg;
    s->auth = -1;
    copy_failure(&s->auth_err, why);
}

static void on_disconnected(asmb_conn *conn, const asmb_failure *why, void *arg)
{
    (void)conn;
    cli_session *s = arg;
    s->ended = 1;
    if (!s->auth) {
        s->auth = -1;
        copy_failure(&s->auth_err, why);
    }
}

/* Ctrl-C: cancel what runs and let the caller close politely. The watcher
 * stops, so that a second Ctrl-C kills at once (libuv restores SIG_DFL). */
static void on_sigint(uv_signal_t *h, int signum)
{
    (void)signum;
    cli_session *s = h->data;
    s->interrupted = 1;
    uv_signal_stop(h);
    if (s->auth == 0) asmb_conn_close(s->conn); /* still connecting: give up */
    if (s->waiting) asmb_deferred_cancel(s->waiting);
    if (s->on_interrupt) s->on_interrupt(s->interrupt_arg);
}

int session_connect_async(const cli_opts *o, cli_session *s)
{
    static const asmb_handlers h = {on_auth_ok, on_auth_failed, on_disconnected};
    asmb_config cfg;
    cli_creds c;
    int status = make_config(o, &s->url, &cfg, &c);
    if (status) return status;
    if (uv_loop_init(&s->loop)) {
        creds_free(&c);
        return cli_error(CLI_FAIL, "out of memory");
    }
    s->conn = asmb_conn_new(&s->loop, &cfg, &h, s);
    creds_free(&c); /* the connection copied them */
    if (!s->conn) {
        uv_loop_close(&s->loop);
        return cli_error(CLI_FAIL, "out of memory");
    }
    if (uv_signal_init(&s->loop, &s->sigint) == 0) {
        s->sigint_on = 1;
        s->sigint.data = s;
        uv_signal_start(&s->sigint, on_sigint, SIGINT);
    }
    int rc = asmb_conn_connect(s->conn, s->url.host, cli_port(o, s->url.port));
    if (rc) {
        asmb_failure e = {rc, 0, ""};
        return report_error(&e);
    }
    while (!s->auth && uv_run(&s->loop, UV_RUN_ONCE)) {
    }
    if (s->interrupted) return cli_error(CLI_INTERRUPTED, "interrupted while connecting");
    if (s->auth != 1) return report_auth_error(&s->auth_err);
    log_negotiated(o, s->conn);
    set_op(o, s);
    return CLI_OK;
}

int session_wait(cli_session *s, int rc, asmb_deferred *d, asmb_failure *err)
{
    memset(err, 0, sizeof *err);
    if (rc) snprintf(err->message, sizeof err->message, "%s", asmb_conn_last_error(s->conn));
    if (rc) return err->code = rc;
    asmb_deferred_ref(d);
    if (s->interrupted) asmb_deferred_cancel(d); /* Ctrl-C came between two operations */
    s->waiting = d;
    while (asmb_deferred_state(d) == ASMB_DEFERRED_PENDING && uv_run(&s->loop, UV_RUN_ONCE)) {
    }
    s->waiting = NULL;
    if (asmb_deferred_state(d) == ASMB_DEFERRED_PENDING) { /* the loop ran dry */
        asmb_deferred_unref(d);
        return err->code = ASMB_ENOTCONN;
    }
    const asmb_failure *f = asmb_deferred_failure(d);
    if (!f) return 0;
    copy_failure(err, f);
    asmb_deferred_unref(d);
    return err->code ? err->code : ASMB_EFAILURE;
}

int session_open(const cli_opts *o, const char *url_text, int need_share, cli_session *s)
{
    int status = session_parse(url_text, need_share, s);
    if (!status) status = session_connect(o, s);
    if (status) asmb_url_clear(&s->url);
    return status;
}

void session_close(cli_session *s)
{
    if (s->sync) asmb_sync_close(s->sync);
    if (s->conn) {
        if (s->sigint_on) uv_close((uv_handle_t *)&s->sigint, NULL);
        asmb_conn_close(s->conn); /* TREE_DISCONNECT, LOGOFF: polite after Ctrl-C too */
        asmb_conn_free(s->conn);
        uv_run(&s->loop, UV_RUN_DEFAULT); /* lets the connection's handles close */
        uv_loop_close(&s->loop);
    }
    asmb_url_clear(&s->url);
    s->sync = NULL;
    s->conn = NULL;
}
