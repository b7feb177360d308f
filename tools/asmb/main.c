/* asmb: command-line SMB2/3 client. Options, help and dispatch. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int min_args, max_args;
    unsigned options; /* OPT_* it accepts */
    int (*run)(const cli_opts *o);
    const char *usage;
    const char *help;
} command;

static const command commands[] = {
    {"ls", 1, 2, OPT_SNAPSHOT, cmd_ls, "ls URL [PATTERN]",
     "List a directory: attributes (D directory, R read-only, H hidden, S system,\n"
     "A archive, N normal), size, modification time (UTC) and name; '.' and '..'\n"
     "are left out. A URL naming a file shows that file. PATTERN (or wildcards\n"
     "* and ? in the URL's last component) selects entries.\n"
     "  --json       an array of objects: name, size, alloc_size, attributes,\n"
     "               is_directory, create_time, access_time, write_time, change_time\n"
     "  --snapshot @GMT-YYYY.MM.DD-HH.MM.SS\n"
     "               list the directory as it was in that snapshot (see snapshots)\n"},
    {"stat", 1, 1, OPT_SNAPSHOT, cmd_stat, "stat URL",
     "Show the attributes of a file or directory as 'key: value' lines.\n"
     "  --json       one object with the fields of ls --json\n"
     "  --snapshot @GMT-YYYY.MM.DD-HH.MM.SS\n"
     "               the attributes in that snapshot (see snapshots)\n"},
    {"get", 1, INT_MAX,
     OPT_OFFSET | OPT_LENGTH | OPT_SNAPSHOT | OPT_JOBS | OPT_OVERWRITE | OPT_KEEP_PARTIAL, cmd_get,
     "get URL [LOCAL|-]\n       asmb [OPTIONS] get [-j N] URL... [LOCALDIR]",
     "Download a file to LOCAL (default: the remote name in the current\n"
     "directory; into LOCAL when it is a directory; - = standard output).\n"
     "Several URLs, or wildcards (* and ?) in a URL's last component, download\n"
     "every matching file (directories are skipped) into LOCALDIR (default: the\n"
     "current directory), which must exist; all URLs on one server.\n"
     "One file replaces an existing LOCAL, never through a symbolic link. Several\n"
     "files: each name the server lists must match the URL's last component\n"
     "(case-insensitive) and be a plain name (no '/', '\\', '..', control\n"
     "characters); other names, existing local files and symbolic links are\n"
     "skipped and reported (exit status 1).\n"
     "A download that fails (a full disk, a server error) or that Ctrl-C cancels\n"
     "leaves no partial local file; Ctrl-C exits with status 130.\n"
     "  --overwrite  several files: replace existing local files (not symlinks)\n"
     "  --keep-partial  keep what a failed or canceled download wrote\n"
     "  --offset N   start at byte N of the remote file (one file only)\n"
     "  --length N   copy at most N bytes (one file only)\n"
     "  --snapshot @GMT-YYYY.MM.DD-HH.MM.SS\n"
     "               download the file as it was in that snapshot (see snapshots)\n"
     "  -j N         several files: N transfers at once (default 4, at most 64)\n"
     "  --json       several files: an array of results: share, path, local, ok,\n"
     "               skipped, bytes, seconds, error\n"},
    {"put", 2, INT_MAX, OPT_OFFSET | OPT_APPEND | OPT_JOBS, cmd_put,
     "put LOCAL|- URL\n       asmb [OPTIONS] put [-j N] LOCAL... URL",
     "Upload LOCAL (- = standard input). Without options the remote file is\n"
     "created or truncated. A URL ending with '/' gets LOCAL's name appended.\n"
     "With several LOCAL files, URL names a directory and each file goes there\n"
     "under its own name. Ctrl-C cancels the upload (the remote file is then\n"
     "incomplete), closes the session and exits with status 130.\n"
     "  --offset N   write at byte N of the remote file, without truncating it\n"
     "  --append     write at the end of the remote file (created if missing)\n"
     "  -j N         several files: N transfers at once (default 4, at most 64)\n"
     "  --json       several files: an array of results, as get's\n"},
    {"rm", 1, 1, OPT_RECURSIVE, cmd_rm, "rm URL",
     "Delete the files matching the URL's last component (wildcards * and ?).\n"
     "  -r   also delete matching directories with all their contents\n"},
    {"mkdir", 1, 1, OPT_PARENTS, cmd_mkdir, "mkdir [-p] URL",
     "Create a directory.\n"
     "  -p, --parents  also create missing parent directories; an existing\n"
     "                 directory is not an error (after mkdir, -p is this option,\n"
     "                 not the port)\n"},
    {"rmdir", 1, 1, 0, cmd_rmdir, "rmdir URL", "Remove an empty directory.\n"},
    {"mv", 2, 2, OPT_REPLACE, cmd_mv, "mv URL NEWPATH",
     "Rename within the share. NEWPATH is a path from the share's root, or an\n"
     "smb:// URL of the same server and share.\n"
     "  --replace   replace an existing NEWPATH\n"},
    {"getacl", 1, 1, 0, cmd_getacl, "getacl URL",
     "Show the owner, group and DACL of a file or directory; one line per ACE:\n"
     "'ace: TYPE FLAGS MASK SID' (TYPE: ALLOWED, DENIED, AUDIT, ...; FLAGS and\n"
     "MASK in hexadecimal).\n"
     "  --json   {owner, group, control, has_dacl, aces: [{type, type_name,\n"
     "           flags, mask, sid}]}\n"},
    {"echo", 1, 1, 0, cmd_echo, "echo smb://HOST[:PORT]",
     "Connect, authenticate (anonymously unless a user is given) and send an\n"
     "SMB2 ECHO; prints the dialect and the round-trip time.\n"},
    {"shares", 1, 1, 0, cmd_shares, "shares smb://HOST[:PORT]",
     "List the server's shares (srvsvc NetrShareEnum over IPC$; anonymously\n"
     "unless a user is given), in the server's order: name, type and comment.\n"
     "TYPE is DISK, PRINTER, DEVICE or IPC, followed by ',special' for\n"
     "administrative shares (IPC$, C$, ...) and ',temporary' for temporary ones.\n"
     "  --json   an array of objects: name, type (the raw STYPE number), kind\n"
     "           (0 disk, 1 printer, 2 device, 3 IPC), is_special, is_temporary,\n"
     "           comment\n"},
    {"snapshots", 1, 1, 0, cmd_snapshots, "snapshots URL",
     "List the snapshots (previous versions) of a file or directory, one a\n"
     "line: the @GMT token to give to --snapshot, and the time in ISO 8601 UTC.\n"
     "Nothing is printed when there are none.\n"
     "  --json   an array of objects: token, time (Unix seconds)\n"},
};

static const char usage_text[] =
    "usage: asmb [OPTIONS] COMMAND ARGS...\n";

static const char help_text[] =
    "\n"
    "Commands:\n"
    "  ls URL [PATTERN]        list a directory (or show one file)\n"
    "  stat URL                show a file's attributes\n"
    "  get URL [LOCAL|-]       download a file (- = standard output)\n"
    "  get URL... [LOCALDIR]   download several files, or a wildcard's (-j N at once)\n"
    "  put LOCAL|- URL         upload a file (- = standard input)\n"
    "  put LOCAL... URL        upload several files into a directory (-j N at once)\n"
    "  rm URL                  delete matching files (-r: directories too)\n"
    "  mkdir [-p] URL          create a directory (-p: and its parents)\n"
    "  rmdir URL               remove an empty directory\n"
    "  mv URL NEWPATH          rename within a share (--replace)\n"
    "  getacl URL              show the owner, group and DACL\n"
    "  echo smb://HOST[:PORT]  check that the server answers\n"
    "  shares smb://HOST[:PORT]\n"
    "                          list the server's shares\n"
    "  snapshots URL           list the snapshots (previous versions) of a path\n"
    "\n"
    "URL: smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH]\n"
    "     (percent-encoded; an IPv6 host in brackets: smb://[::1]/share)\n"
    "\n"
    "Options (before or after COMMAND):\n"
    "  -U USER[%PASSWORD]     user (DOMAIN\\USER or DOMAIN/USER too)\n"
    "  -W DOMAIN              domain\n"
    "  -N                     no password (no prompt, no $ASMB_PASSWORD);\n"
    "                         anonymous when no user is given\n"
    "  -A FILE                authentication file: username =, password =, domain =\n"
    "  -p PORT                port when the URL has none (default 445)\n"
    "  --min-protocol P       lowest dialect: SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11\n"
    "  --max-protocol P       highest dialect (default SMB3_11)\n"
    "  --signing MODE         off, if-supported (default) or required\n"
    "  --encrypt MODE         off (default), if-supported or required\n"
    "  --cipher NAME          preferred cipher: AES-128-GCM AES-128-CCM AES-256-GCM AES-256-CCM\n"
    "  --netbios              NetBIOS session service (port 139 unless -p or the URL says)\n"
    "  --allow-guest          accept a guest session when the server maps the given\n"
    "                         user to guest (insecure: not signed, not the user's files;\n"
    "                         without it that is an authentication failure)\n"
    "  --no-compound          never compound requests (CREATE+request+CLOSE in one\n"
    "                         message): for servers that sign compounded replies\n"
    "                         wrongly (impacket)\n"
    "  --timeout SECONDS      connect, authentication and per-request timeout\n"
    "  -q                     no progress bar, no transfer summary\n"
    "  --json                 JSON output (ls, stat, getacl, shares, snapshots, and\n"
    "                         get and put of several files)\n"
    "  -j N, --jobs N         get, put of several files: N transfers at once (default 4)\n"
    "  --overwrite            get of several files: replace existing local files\n"
    "  --keep-partial         get: keep the partial file of a failed or canceled download\n"
    "  --debug[=LEVEL]        log to stderr: error, warn, info, debug (the default\n"
    "                         with --debug: what was negotiated) or trace (one\n"
    "                         line per SMB2 message)\n"
    "  --snapshot @GMT-YYYY.MM.DD-HH.MM.SS\n"
    "                         ls, stat, get: read that snapshot (asmb snapshots URL\n"
    "                         lists them)\n"
    "  -h, --help             this help; asmb COMMAND --help for a command's\n"
    "  --version              print the version\n"
    "\n"
    "The password comes from -U, the URL, -A, $ASMB_PASSWORD or a prompt; prefer the\n"
    "last two: one on the command line is hidden from ps once parsed, not before.\n"
    "Exit status: 0 success, 1 operation failed, 2 usage error,\n"
    "3 authentication failed, 4 connection failed or lost, 5 timeout,\n"
    "130 get or put canceled by Ctrl-C (the session is closed first).\n";

enum {
    ID_USER, ID_DOMAIN, ID_NOPASS, ID_AUTHFILE, ID_PORT, ID_MINPROTO, ID_MAXPROTO, ID_SIGNING,
    ID_ENCRYPT, ID_TIMEOUT, ID_QUIET, ID_JSON, ID_HELP, ID_VERSION, ID_OFFSET, ID_LENGTH, ID_APPEND,
    ID_RECURSIVE, ID_REPLACE, ID_SNAPSHOT, ID_NETBIOS, ID_CIPHER, ID_JOBS, ID_DEBUG,
    ID_OVERWRITE, ID_ALLOW_GUEST, ID_NO_COMPOUND, ID_KEEP_PARTIAL, ID_PARENTS
};

enum { VALUE_NONE = 0, VALUE_NEEDED = 1, VALUE_OPTIONAL = 2 /* only as --name=value */ };

typedef struct opt_def {
    const char *name; /* long name, or NULL */
    char short_name;  /* or 0 */
    int has_value;    /* VALUE_* */
    int id;
} opt_def;

static const opt_def opt_defs[] = {
    {NULL, 'U', 1, ID_USER},           {NULL, 'W', 1, ID_DOMAIN},
    {NULL, 'N', 0, ID_NOPASS},         {NULL, 'A', 1, ID_AUTHFILE},
    {NULL, 'p', 1, ID_PORT},           {"min-protocol", 0, 1, ID_MINPROTO},
    {"max-protocol", 0, 1, ID_MAXPROTO}, {"signing", 0, 1, ID_SIGNING},
    {"encrypt", 0, 1, ID_ENCRYPT},     {"timeout", 0, 1, ID_TIMEOUT},
    {NULL, 'q', 0, ID_QUIET},          {"json", 0, 0, ID_JSON},
    {"help", 'h', 0, ID_HELP},         {"version", 0, 0, ID_VERSION},
    {"offset", 0, 1, ID_OFFSET},       {"length", 0, 1, ID_LENGTH},
    {"append", 0, 0, ID_APPEND},       {NULL, 'r', 0, ID_RECURSIVE},
    {"replace", 0, 0, ID_REPLACE},     {"snapshot", 0, 1, ID_SNAPSHOT},
    {"netbios", 0, 0, ID_NETBIOS},     {"cipher", 0, 1, ID_CIPHER},
    {"jobs", 'j', 1, ID_JOBS},         {"debug", 0, VALUE_OPTIONAL, ID_DEBUG},
    {"overwrite", 0, 0, ID_OVERWRITE}, {"allow-guest", 0, 0, ID_ALLOW_GUEST},
    {"no-compound", 0, 0, ID_NO_COMPOUND}, {"keep-partial", 0, 0, ID_KEEP_PARTIAL},
    {"parents", 0, 0, ID_PARENTS},
};

/* After the word mkdir, -p is --parents (mkdir -p), not the port. */
static const opt_def parents_short = {"parents", 'p', 0, ID_PARENTS};

int cli_port(const cli_opts *o, int url_port)
{
    if (url_port) return url_port;
    return o->netbios && !o->port_set ? 139 : o->port;
}

static int parse_cipher(const char *s, uint16_t *out)
{
    static const struct {
        const char *name;
        uint16_t c;
    } map[] = {{"AES-128-GCM", ASMB_CIPHER_AES_128_GCM}, {"AES-128-CCM", ASMB_CIPHER_AES_128_CCM},
               {"AES-256-GCM", ASMB_CIPHER_AES_256_GCM}, {"AES-256-CCM", ASMB_CIPHER_AES_256_CCM}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(s, map[i].name)) return *out = map[i].c, 0;
    return -1;
}

static const opt_def *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
        if (opt_defs[i].name && strlen(opt_defs[i].name) == len &&
            !strncmp(opt_defs[i].name, name, len))
            return &opt_defs[i];
    return NULL;
}

static const opt_def *find_short(char c)
{
    for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
        if (opt_defs[i].short_name == c) return &opt_defs[i];
    return NULL;
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_dialect(const char *s, uint16_t *out)
{
    static const struct {
        const char *name;
        uint16_t d;
    } map[] = {{"SMB2_02", ASMB_SMB2_02}, {"SMB2_10", ASMB_SMB2_10}, {"SMB3_00", ASMB_SMB3_00},
               {"SMB3_02", ASMB_SMB3_02}, {"SMB3_11", ASMB_SMB3_11}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(s, map[i].name)) return *out = map[i].d, 0;
    return -1;
}

static int parse_mode(const char *s, int *out)
{
    if (!strcmp(s, "off")) *out = ASMB_OFF;
    else if (!strcmp(s, "if-supported")) *out = ASMB_IF_SUPPORTED;
    else if (!strcmp(s, "required")) *out = ASMB_REQUIRED;
    else return -1;
    return 0;
}

static int parse_timeout(const char *s, unsigned *ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0) || v > 4000000) return -1;
    double m = ceil(v * 1000);
    *ms = m < 1 ? 1 : (unsigned)m;
    return 0;
}

/* "@GMT-YYYY.MM.DD-HH.MM.SS" (MS-SMB2 2.2.13.2.7, UTC) to Unix seconds.
 * Strict: exactly that form, a real calendar date, 00-23, 00-59, 00-59, and
 * after 1970-01-01 00:00:00 (0 would mean the live file). 0 or -1. */
static int parse_gmt_token(const char *t, int64_t *out)
{
    static const char form[] = "@GMT-dddd.dd.dd-dd.dd.dd";
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(t) != sizeof form - 1) return -1;
    for (size_t i = 0; form[i]; i++)
        if (form[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != form[i]) return -1;
    int v[6], at[6] = {5, 10, 13, 16, 19, 22}, width[6] = {4, 2, 2, 2, 2, 2};
    for (int k = 0; k < 6; k++) {
        v[k] = 0;
        for (int i = 0; i < width[k]; i++) v[k] = v[k] * 10 + (t[at[k] + i] - '0');
    }
    int y = v[0], mo = v[1], d = v[2];
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || v[3] > 23 ||
        v[4] > 59 || v[5] > 59)
        return -1;
    /* days since 1970-01-01 (H. Hinnant's days_from_civil) */
    int64_t yy = y - (mo <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    int64_t secs = days * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
    if (secs <= 0) return -1;
    *out = secs;
    return 0;
}

/* --debug[=LEVEL]: the bare option is debug. */
static int parse_log_level(const char *s, int *out)
{
    if (!s) return *out = ASMB_LOG_DEBUG, 0;
    for (int l = ASMB_LOG_ERROR; l <= ASMB_LOG_TRACE; l++)
        if (!strcasecmp(s, asmb_log_level_name(l))) return *out = l, 0;
    return -1;
}

/* -U USER%PASSWORD: the password leaves argv at once (/proc/PID/cmdline). */
static int set_user(cli_opts *o, char *value)
{
    if (creds_parse_user(value, &o->u_opt)) return cli_error(CLI_FAIL, "out of memory");
    char *pct = strchr(value, '%');
    if (pct) hide_secret(value, (size_t)(pct + 1 - value), strlen(pct + 1));
    return CLI_OK;
}

/* A URL's password leaves argv once the options are parsed: the command
 * parses a copy (*owned, wiped and freed by main). */
static int hide_url_passwords(const char **pos, int npos, char **owned)
{
    for (int i = 0; i < npos; i++) {
        size_t start, len;
        owned[i] = NULL;
        if (!url_is_smb(pos[i]) || url_password_span(pos[i], &start, &len)) continue;
        if (!(owned[i] = strdup(pos[i]))) return cli_error(CLI_FAIL, "out of memory");
        hide_secret((char *)pos[i], start, len);
        pos[i] = owned[i];
    }
    return CLI_OK;
}

static int bad_value(const char *opt, const char *value, const char *expected)
{
    return cli_error(CLI_USAGE, "invalid value for %s: '%s' (expected %s)", opt, value, expected);
}

static int apply_value(cli_opts *o, const opt_def *d, const char *opt, char *v)
{
    uint64_t n;
    switch (d->id) {
    case ID_USER: return set_user(o, v);
    case ID_DOMAIN:
        free(o->w_domain);
        return (o->w_domain = strdup(v)) ? CLI_OK : cli_error(CLI_FAIL, "out of memory");
    case ID_AUTHFILE: return creds_read_file(v, &o->a_file) ? CLI_USAGE : CLI_OK;
    case ID_PORT:
        if (parse_u64(v, 65535, &n) || n == 0) return bad_value(opt, v, "a port 1-65535");
        o->port = (int)n;
        o->port_set = 1;
        return CLI_OK;
    case ID_CIPHER:
        if (parse_cipher(v, &o->cipher))
            return bad_value(opt, v, "AES-128-GCM, AES-128-CCM, AES-256-GCM or AES-256-CCM");
        return CLI_OK;
    case ID_MINPROTO:
    case ID_MAXPROTO:
        if (parse_dialect(v, d->id == ID_MINPROTO ? &o->min_dialect : &o->max_dialect))
            return bad_value(opt, v, "SMB2_02, SMB2_10, SMB3_00, SMB3_02 or SMB3_11");
        return CLI_OK;
    case ID_SIGNING:
    case ID_ENCRYPT:
        if (parse_mode(v, d->id == ID_SIGNING ? &o->signing : &o->encryption))
            return bad_value(opt, v, "off, if-supported or required");
        return CLI_OK;
    case ID_TIMEOUT:
        return parse_timeout(v, &o->timeout_ms) ? bad_value(opt, v, "seconds > 0") : CLI_OK;
    case ID_OFFSET:
        if (parse_u64(v, INT64_MAX, &o->offset)) return bad_value(opt, v, "a byte count");
        o->seen |= OPT_OFFSET;
        return CLI_OK;
    case ID_LENGTH:
        if (parse_u64(v, INT64_MAX, &n)) return bad_value(opt, v, "a byte count");
        o->length = (int64_t)n;
        o->seen |= OPT_LENGTH;
        return CLI_OK;
    case ID_JOBS:
        if (parse_u64(v, CLI_JOBS_MAX, &n) || n == 0) return bad_value(opt, v, "1 to 64");
        o->jobs = (unsigned)n;
        o->seen |= OPT_JOBS;
        return CLI_OK;
    case ID_DEBUG:
        if (parse_log_level(v, &o->log_level))
            return bad_value(opt, v, "error, warn, info, debug or trace");
        return CLI_OK;
    case ID_SNAPSHOT:
        if (parse_gmt_token(v, &o->snapshot))
            return bad_value(opt, v, "@GMT-YYYY.MM.DD-HH.MM.SS, a UTC time after 1970");
        o->seen |= OPT_SNAPSHOT;
        return CLI_OK;
    }
    return CLI_USAGE;
}

static int apply_flag(cli_opts *o, const opt_def *d)
{
    switch (d->id) {
    case ID_NOPASS: o->no_password = 1; break;
    case ID_QUIET: o->quiet = 1; break;
    case ID_JSON: o->json = 1; break;
    case ID_HELP: o->help = 1; break;
    case ID_VERSION: o->version = 1; break;
    case ID_APPEND: o->seen |= OPT_APPEND; break;
    case ID_RECURSIVE: o->seen |= OPT_RECURSIVE; break;
    case ID_REPLACE: o->seen |= OPT_REPLACE; break;
    case ID_NETBIOS: o->netbios = 1; break;
    case ID_OVERWRITE: o->seen |= OPT_OVERWRITE; break;
    case ID_ALLOW_GUEST: o->allow_guest = 1; break;
    case ID_NO_COMPOUND: o->no_compound = 1; break;
    case ID_KEEP_PARTIAL: o->seen |= OPT_KEEP_PARTIAL; break;
    case ID_PARENTS: o->seen |= OPT_PARENTS; break;
    }
    return CLI_OK;
}

/* --name, --name=value, --name value */
static int parse_long(cli_opts *o, char **argv, int argc, int *i)
{
    char *a = argv[*i] + 2, *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    const opt_def *d = find_long(a, len);
    if (!d) return cli_error(CLI_USAGE, "unknown option: --%.*s", (int)len, a);
    if (!d->has_value) {
        if (eq) return cli_error(CLI_USAGE, "option --%s takes no value", d->name);
        return apply_flag(o, d);
    }
    char opt[32];
    snprintf(opt, sizeof opt, "--%s", d->name);
    if (d->has_value == VALUE_OPTIONAL) return apply_value(o, d, opt, eq ? eq + 1 : NULL);
    char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
    if (!v) return cli_error(CLI_USAGE, "option --%s needs a value", d->name);
    return apply_value(o, d, opt, v);
}

/* -x, bundles (-Nq), -Uvalue, -U value; mkdir: after the command word. */
static int parse_short(cli_opts *o, char **argv, int argc, int *i, int mkdir)
{
    char *a = argv[*i];
    for (size_t j = 1; a[j]; j++) {
        const opt_def *d = mkdir && a[j] == 'p' ? &parents_short : find_short(a[j]);
        if (!d) return cli_error(CLI_USAGE, "unknown option: -%c", a[j]);
        char opt[3] = {'-', a[j], 0};
        if (!d->has_value) {
            apply_flag(o, d);
            continue;
        }
        char *v = a[j + 1] ? a + j + 1 : *i + 1 < argc ? argv[++*i] : NULL;
        if (!v) return cli_error(CLI_USAGE, "option %s needs a value", opt);
        return apply_value(o, d, opt, v);
    }
    return CLI_OK;
}

/* Options anywhere; the first other word is the command, the rest its arguments. */
static int parse_args(int argc, char **argv, cli_opts *o, const char **pos, int *npos)
{
    int only_pos = 0, status = CLI_OK;
    *npos = 0;
    for (int i = 1; i < argc && !status; i++) {
        char *a = argv[i];
        if (!only_pos && !strcmp(a, "--")) only_pos = 1;
        else if (only_pos || a[0] != '-' || !a[1]) pos[(*npos)++] = a;
        else if (a[1] == '-') status = parse_long(o, argv, argc, &i);
        else status = parse_short(o, argv, argc, &i, *npos && !strcmp(pos[0], "mkdir"));
    }
    if (!status && o->min_dialect > o->max_dialect)
        status = cli_error(CLI_USAGE, "--min-protocol is above --max-protocol");
    return status;
}

static void opts_init(cli_opts *o)
{
    asmb_config d;
    asmb_config_init(&d);
    memset(o, 0, sizeof *o);
    o->port = 445;
    o->min_dialect = d.min_dialect;
    o->max_dialect = d.max_dialect;
    o->signing = d.signing;
    o->encryption = d.encryption;
    o->jobs = CLI_JOBS_DEFAULT;
}

static void opts_free(cli_opts *o)
{
    creds_free(&o->u_opt);
    creds_free(&o->a_file);
    free(o->w_domain);
}

static void command_help(const command *c)
{
    printf("usage: asmb [OPTIONS] %s\n\n%s\nSee asmb --help for the options and the URL form.\n",
           c->usage, c->help);
}

/* The command's argument count and options. */
static int check_command(const command *c, const cli_opts *o)
{
    static const char *const names[] = {"--offset",    "--length", "--append",
                                        "-r",          "--replace", "--snapshot",
                                        "-j",          "--overwrite", "-p/--parents",
                                        "--keep-partial"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((o->seen & (1u << i)) && !(c->options & (1u << i)))
            return cli_error(CLI_USAGE, "%s: option %s does not apply", c->name, names[i]);
    if (o->nargs < c->min_args || o->nargs > c->max_args)
        return cli_error(CLI_USAGE, "usage: asmb [OPTIONS] %s", c->usage);
    return CLI_OK;
}

static int dispatch(cli_opts *o, const char **pos, int npos)
{
    const command *c = npos ? find_command(pos[0]) : NULL;
    if (npos && !c) {
        char *shown = url_redact(pos[0]);
        cli_error(CLI_USAGE, "unknown command '%s' (see asmb --help)", shown ? shown : "");
        free(shown);
        return CLI_USAGE;
    }
    if (o->help) {
        if (c) command_help(c);
        else printf("%s%s", usage_text, help_text);
        return CLI_OK;
    }
    if (o->version) {
        printf("%s\n", asmb_version());
        return CLI_OK;
    }
    if (!c) {
        fprintf(stderr, "%sTry 'asmb --help'.\n", usage_text);
        return CLI_USAGE;
    }
    o->command = pos[0];
    o->args = pos + 1;
    o->nargs = npos - 1;
    int status = check_command(c, o);
    return status ? status : c->run(o);
}

int main(int argc, char **argv)
{
    cli_opts o;
    int npos = 0;
    signal(SIGPIPE, SIG_IGN); /* a closed socket or pipe is an error, not a kill */
    opts_init(&o);
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    char **owned = calloc((size_t)argc + 1, sizeof *owned);
    if (!pos || !owned) return cli_error(CLI_FAIL, "out of memory");
    int status = parse_args(argc, argv, &o, pos, &npos);
    int hidden = hide_url_passwords(pos, npos, owned); /* even after a usage error */
    if (!status) status = hidden;
    if (status == CLI_USAGE) fprintf(stderr, "Try 'asmb --help'.\n");
    if (!status) status = dispatch(&o, pos, npos);
    if (fflush(stdout) && !status) {
        if (errno != EPIPE) cli_error(0, "standard output: %s", strerror(errno));
        status = CLI_FAIL;
    }
    opts_free(&o);
    for (int i = 0; i < npos; i++) {
        if (!owned[i]) continue;
        hide_secret(owned[i], 0, strlen(owned[i])); /* wipes */
        free(owned[i]);
    }
    free(owned);
    free(pos);
    return status;
}
