/* ls, stat, rm, mkdir, rmdir, mv, getacl, echo. Each opens a session from
 * its URL, runs one or two blocking operations and prints the outcome. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static int is_dot(const char *name) { return !strcmp(name, ".") || !strcmp(name, ".."); }

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const asmb_file_info *)a)->filename, ((const asmb_file_info *)b)->filename);
}

static void print_entries(const cli_opts *o, asmb_file_info *e, size_t n)
{
    qsort(e, n, sizeof *e, cmp_entry);
    int first = 1;
    if (o->json) fputc('[', stdout);
    for (size_t i = 0; i < n; i++) {
        if (is_dot(e[i].filename)) continue;
        if (o->json) {
            fputs(first ? "\n  " : ",\n  ", stdout);
            out_entry_json(stdout, &e[i]);
        } else {
            out_entry_text(stdout, &e[i]);
        }
        first = 0;
    }
    if (o->json) fputs(first ? "]\n" : "\n]\n", stdout);
}

static int list_dir(const cli_opts *o, cli_session *s, const char *dir, const char *pattern)
{
    asmb_failure e;
    asmb_file_list list;
    if (asmb_sync_list_path(s->sync, s->url.share, dir, ASMB_SEARCH_DEFAULT, pattern, s->op,
                            &list, &e))
        return report_error(&e);
    print_entries(o, list.entries, list.count);
    asmb_file_list_clear(&list);
    return CLI_OK;
}

/* ls URL [PATTERN]: a wildcard in the URL's last component is a pattern too. */
int cmd_ls(const cli_opts *o)
{
    cli_session s;
    int status = session_open(o, o->args[0], 1, &s);
    if (status) return status;
    const char *pattern = o->nargs > 1 ? o->args[1] : NULL;
    char *base = path_basename(s.url.path), *dir = NULL;
    if (!pattern && base && strpbrk(base, "*?")) {
        dir = path_dirname(s.url.path);
        pattern = base;
    }
    if (pattern) {
        status = list_dir(o, &s, dir ? dir : s.url.path, pattern);
    } else {
        asmb_file_info info;
        asmb_failure e;
        if (asmb_sync_get_attributes(s.sync, s.url.share, s.url.path, s.op, &info, &e)) {
            status = report_error(&e);
        } else if (info.is_directory) {
            status = list_dir(o, &s, s.url.path, NULL);
            asmb_file_info_clear(&info);
        } else {
            print_entries(o, &info, 1);
            asmb_file_info_clear(&info);
        }
    }
    free(base);
    free(dir);
    session_close(&s);
    return status;
}

int cmd_stat(const cli_opts *o)
{
    cli_session s;
    int status = session_open(o, o->args[0], 1, &s);
    if (status) return status;
    asmb_file_info info;
    asmb_failure e;
    if (asmb_sync_get_attributes(s.sync, s.url.share, s.url.path, s.op, &info, &e)) {
        status = report_error(&e);
    } else {
        if (o->json) {
            out_entry_json(stdout, &info);
            fputc('\n', stdout);
        } else {
            out_stat_text(stdout, &info);
        }
        asmb_file_info_clear(&info);
    }
    session_close(&s);
    return status;
}

/* Opens a session whose URL must name something below the share's root. */
static int open_with_path(const cli_opts *o, const char *url, cli_session *s)
{
    int status = session_open(o, url, 1, s);
    if (status) return status;
    if (s->url.path[strspn(s->url.path, "/\\")] == 0) {
        session_close(s);
        return cli_error(CLI_USAGE, "%s: the URL must name a path inside the share", o->command);
    }
    return CLI_OK;
}

/* Nothing was deleted: say why (the server's error for a missing file). */
static int explain_no_match(cli_session *s)
{
    char *base = path_basename(s->url.path);
    int wild = base && strpbrk(base, "*?");
    free(base);
    if (wild) return cli_error(CLI_FAIL, "no match for '%s'", s->url.path);
    asmb_file_info info;
    asmb_failure e;
    if (asmb_sync_get_attributes(s->sync, s->url.share, s->url.path, s->op, &info, &e))
        return report_error(&e);
    int dir = info.is_directory;
    asmb_file_info_clear(&info);
    if (dir) return cli_error(CLI_FAIL, "'%s' is a directory (use rmdir, or rm -r)", s->url.path);
    return cli_error(CLI_FAIL, "'%s' was not deleted", s->url.path);
}

int cmd_rm(const cli_opts *o)
{
    cli_session s;
    int status = open_with_path(o, o->args[0], &s);
    if (status) return status;
    asmb_delete_result deleted;
    asmb_failure e;
    if (asmb_sync_delete_files(s.sync, s.url.share, s.url.path,
                               o->seen & OPT_RECURSIVE ? ASMB_DELETE_FOLDERS : 0, s.op, &deleted,
                               &e))
        status = report_error(&e);
    else if (deleted.count == 0)
        status = explain_no_match(&s);
    session_close(&s);
    return status;
}

#define STATUS_OBJECT_NAME_COLLISION 0xC0000035u

/* mkdir -p of one component: a directory already there is fine. */
static int make_existing_ok(cli_session *s, const char *path)
{
    asmb_failure e;
    if (!asmb_sync_create_directory(s->sync, s->url.share, path, s->op, &e)) return CLI_OK;
    if (e.code != ASMB_EFAILURE || e.ntstatus != STATUS_OBJECT_NAME_COLLISION)
        return report_error(&e);
    asmb_file_info info;
    if (asmb_sync_get_attributes(s->sync, s->url.share, path, s->op, &info, &e))
        return report_error(&e);
    int dir = info.is_directory;
    asmb_file_info_clear(&info);
    return dir ? CLI_OK : cli_error(CLI_FAIL, "'%s' exists and is not a directory", path);
}

/* mkdir -p: every prefix of the path, from the top. */
static int make_parents(cli_session *s)
{
    char *p = strdup(s->url.path);
    if (!p) return cli_error(CLI_FAIL, "out of memory");
    int status = CLI_OK;
    size_t n = strlen(p);
    for (size_t i = 1; i <= n && !status; i++) {
        int end = i == n || p[i] == '/' || p[i] == '\\';
        if (!end || p[i - 1] == '/' || p[i - 1] == '\\') continue; /* not after a name */
        char c = p[i];
        p[i] = 0;
        status = make_existing_ok(s, p);
        p[i] = c;
    }
    free(p);
    return status;
}

int cmd_mkdir(const cli_opts *o)
{
    cli_session s;
    int status = open_with_path(o, o->args[0], &s);
    if (status) return status;
    asmb_failure e;
    if (o->seen & OPT_PARENTS) status = make_parents(&s);
    else if (asmb_sync_create_directory(s.sync, s.url.share, s.url.path, s.op, &e))
        status = report_error(&e);
    session_close(&s);
    return status;
}

int cmd_rmdir(const cli_opts *o)
{
    cli_session s;
    int status = open_with_path(o, o->args[0], &s);
    if (status) return status;
    asmb_failure e;
    if (asmb_sync_delete_directory(s.sync, s.url.share, s.url.path, s.op, &e))
        status = report_error(&e);
    session_close(&s);
    return status;
}

/* NEWPATH: a path from the share's root, or an smb:// URL of the same share. */
static int target_path(const cli_opts *o, const asmb_url *src, char **out)
{
    const char *arg = o->args[1];
    *out = NULL;
    if (!url_is_smb(arg)) {
        *out = strdup(arg);
    } else {
        asmb_url u;
        int status = url_parse(arg, &u);
        if (status) return status;
        int same_port = cli_port(o, u.port) == cli_port(o, src->port);
        if (strcasecmp(u.host, src->host) || !same_port || !u.share ||
            strcasecmp(u.share, src->share)) {
            asmb_url_clear(&u);
            return cli_error(CLI_USAGE, "mv: NEWPATH must be on the same server and share");
        }
        *out = u.path;
        u.path = NULL;
        asmb_url_clear(&u);
    }
    if (!*out) return cli_error(CLI_FAIL, "out of memory");
    if ((*out)[strspn(*out, "/\\")] == 0) {
        free(*out);
        *out = NULL;
        return cli_error(CLI_USAGE, "mv: NEWPATH must name a path inside the share");
    }
    return CLI_OK;
}

int cmd_mv(const cli_opts *o)
{
    cli_session s;
    int status = open_with_path(o, o->args[0], &s);
    if (status) return status;
    char *to = NULL;
    status = target_path(o, &s.url, &to);
    asmb_failure e;
    int flags = (o->seen & OPT_REPLACE) ? ASMB_RENAME_REPLACE : 0;
    if (!status && asmb_sync_rename(s.sync, s.url.share, s.url.path, to, flags, s.op, &e))
        status = report_error(&e);
    free(to);
    session_close(&s);
    return status;
}

int cmd_getacl(const cli_opts *o)
{
    cli_session s;
    int status = session_open(o, o->args[0], 1, &s);
    if (status) return status;
    asmb_security sec;
    asmb_failure e;
    if (asmb_sync_get_security(s.sync, s.url.share, s.url.path, s.op, &sec, &e)) {
        status = report_error(&e);
    } else {
        if (o->json) out_security_json(stdout, &sec);
        else out_security_text(stdout, &sec);
        asmb_security_clear(&sec);
    }
    session_close(&s);
    return status;
}

/* echo smb://HOST[:PORT]: connect, authenticate, one ECHO. */
int cmd_echo(const cli_opts *o)
{
    cli_session s;
    int status = session_open(o, o->args[0], 0, &s);
    if (status) return status;
    asmb_failure e;
    double t0 = out_now();
    if (asmb_sync_echo(s.sync, s.op, &e)) {
        status = report_error(&e);
    } else {
        double ms = (out_now() - t0) * 1e3;
        asmb_conn_info info;
        memset(&info, 0, sizeof info);
        asmb_conn_info_get(asmb_sync_conn(s.sync), &info);
        int v6 = strchr(s.url.host, ':') != NULL;
        if (v6) fputc('[', stdout);
        out_safe(stdout, s.url.host);
        printf("%s:%d: echo ok, %s%s%s%s%s%s, %.2f ms\n", v6 ? "]" : "",
               cli_port(o, s.url.port), asmb_dialect_name(info.dialect),
               info.is_guest ? ", guest" : "", info.is_anonymous ? ", anonymous" : "",
               info.signing ? ", signed" : "", info.cipher ? ", encrypted " : "",
               info.cipher ? asmb_cipher_name(info.cipher) : "", ms);
    }
    session_close(&s);
    return status;
}

/* shares smb://HOST[:PORT]: NetrShareEnum, in the server's order. */
int cmd_shares(const cli_opts *o)
{
    cli_session s;
    int status = session_parse(o->args[0], 0, &s);
    if (status) return status;
    if (s.url.share) {
        session_close(&s);
        return cli_error(CLI_USAGE, "shares: the URL must name a server only: smb://HOST[:PORT]");
    }
    status = session_connect(o, &s);
    asmb_share_list list;
    asmb_failure e;
    if (!status && asmb_sync_list_shares(s.sync, s.op, &list, &e)) status = report_error(&e);
    if (!status) {
        if (o->json) out_shares_json(stdout, &list);
        else out_shares_text(stdout, &list);
        asmb_share_list_clear(&list);
    }
    session_close(&s);
    return status;
}

/* snapshots URL: the previous versions of a file or directory. */
int cmd_snapshots(const cli_opts *o)
{
    cli_session s;
    int status = session_open(o, o->args[0], 1, &s);
    if (status) return status;
    asmb_snapshot_list list;
    asmb_failure e;
    if (asmb_sync_list_snapshots(s.sync, s.url.share, s.url.path, s.op, &list, &e)) {
        status = report_error(&e);
    } else {
        if (o->json) out_snapshots_json(stdout, &list);
        else out_snapshots_text(stdout, &list);
        asmb_snapshot_list_clear(&list);
    }
    session_close(&s);
    return status;
}
