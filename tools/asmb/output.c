/* Text and JSON output, and the progress bar on stderr. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define FILETIME_UNIX_EPOCH 11644473600LL /* seconds from 1601 to 1970 */

void out_iso_time(char *buf, size_t len, uint64_t filetime, int frac)
{
    time_t t = (time_t)((int64_t)(filetime / 10000000u) - FILETIME_UNIX_EPOCH);
    struct tm tm;
    size_t n = 0;
    if (gmtime_r(&t, &tm)) n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n == 0) n = (size_t)snprintf(buf, len, "?");
    if (n >= len) return;
    if (frac) snprintf(buf + n, len - n, ".%07uZ", (unsigned)(filetime % 10000000u));
    else snprintf(buf + n, len - n, "Z");
}

/* "DRHSAN" letters that are set, in that order. */
static void attr_letters(char out[8], uint32_t a)
{
    static const struct {
        uint32_t bit;
        char ch;
    } map[] = {{ASMB_ATTR_DIRECTORY, 'D'}, {ASMB_ATTR_READONLY, 'R'}, {ASMB_ATTR_HIDDEN, 'H'},
               {ASMB_ATTR_SYSTEM, 'S'},    {ASMB_ATTR_ARCHIVE, 'A'},  {ASMB_ATTR_NORMAL, 'N'}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (a & map[i].bit) out[n++] = map[i].ch;
    out[n] = 0;
}

size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
             : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!n) return 0;
    uint32_t c = n == 1 ? s[0] : s[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) { /* stops at the NUL: it is not a continuation byte */
        if ((s[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3Fu);
    }
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

/* Code points a terminal acts on (C0, DEL, C1: ESC, CSI, OSC...) or that
 * reorder what is shown (bidirectional controls, line separators). */
static int unsafe_cp(uint32_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x200E || c == 0x200F ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 ||
           c == 0x2029;
}

int out_is_plain(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    uint32_t c = 0;
    for (size_t n; *s; s += n)
        if (!(n = utf8_seq(s, &c)) || unsafe_cp(c)) return 0;
    return 1;
}

size_t out_safe(FILE *f, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t cols = 0;
    while (*s) {
        uint32_t c = 0;
        size_t n = utf8_seq(s, &c);
        if (n && !unsafe_cp(c)) {
            if (f) fwrite(s, 1, n, f);
            cols++;
        } else {
            char esc[12];
            int w = n && c >= 0x80 ? snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c)
                                   : snprintf(esc, sizeof esc, "\\x%02x", (unsigned)*s);
            if (f) fputs(esc, f);
            cols += (size_t)w;
            if (!n) n = 1; /* an invalid byte alone */
        }
        s += n;
    }
    return cols;
}

void out_entry_text(FILE *f, const asmb_file_info *e)
{
    char attrs[8], when[40];
    attr_letters(attrs, e->file_attributes);
    out_iso_time(when, sizeof when, e->last_write_time, 0);
    fprintf(f, "%-6s %12" PRIu64 " %s ", attrs, e->file_size, when);
    out_safe(f, e->filename);
    fputc('\n', f);
}

void out_json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        uint32_t c = 0;
        size_t n = utf8_seq(p, &c);
        const char *e = !n ? "\\ufffd" /* JSON text is UTF-8: an invalid byte can't pass */
                        : c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t" : NULL;
        if (e) fputs(e, f);
        else if (unsafe_cp(c)) fprintf(f, "\\u%04x", (unsigned)c);
        else fwrite(p, 1, n, f);
        p += n ? n : 1;
    }
    fputc('"', f);
}

void out_entry_json(FILE *f, const asmb_file_info *e)
{
    fputs("{\"name\": ", f);
    out_json_string(f, e->filename);
    fprintf(f,
            ", \"size\": %" PRIu64 ", \"alloc_size\": %" PRIu64 ", \"attributes\": %" PRIu32
            ", \"is_directory\": %s, \"create_time\": %.6f, \"access_time\": %.6f"
            ", \"write_time\": %.6f, \"change_time\": %.6f}",
            e->file_size, e->alloc_size, e->file_attributes, e->is_directory ? "true" : "false",
            asmb_filetime_to_unix(e->create_time), asmb_filetime_to_unix(e->last_access_time),
            asmb_filetime_to_unix(e->last_write_time),
            asmb_filetime_to_unix(e->last_attr_change_time));
}

void out_stat_text(FILE *f, const asmb_file_info *e)
{
    char attrs[8], t[4][48];
    attr_letters(attrs, e->file_attributes);
    out_iso_time(t[0], sizeof t[0], e->create_time, 1);
    out_iso_time(t[1], sizeof t[1], e->last_access_time, 1);
    out_iso_time(t[2], sizeof t[2], e->last_write_time, 1);
    out_iso_time(t[3], sizeof t[3], e->last_attr_change_time, 1);
    fputs("name: ", f);
    out_safe(f, e->filename);
    fprintf(f,
            "\nsize: %" PRIu64 "\nalloc_size: %" PRIu64 "\nattributes: 0x%08" PRIx32
            " (%s)\nis_directory: %s\ncreate_time: %s\naccess_time: %s\nwrite_time: %s\n"
            "change_time: %s\n",
            e->file_size, e->alloc_size, e->file_attributes, attrs,
            e->is_directory ? "true" : "false", t[0], t[1], t[2], t[3]);
}

/* MS-DTYP 2.4.4.1 ACE types. */
static const char *ace_type_name(uint8_t type)
{
    static const char *const names[] = {
        "ALLOWED", "DENIED", "AUDIT", "ALARM", "ALLOWED_COMPOUND", "ALLOWED_OBJECT",
        "DENIED_OBJECT", "AUDIT_OBJECT", "ALARM_OBJECT", "ALLOWED_CALLBACK",
        "DENIED_CALLBACK", "ALLOWED_CALLBACK_OBJECT", "DENIED_CALLBACK_OBJECT",
        "AUDIT_CALLBACK", "ALARM_CALLBACK", "AUDIT_CALLBACK_OBJECT", "ALARM_CALLBACK_OBJECT",
        "MANDATORY_LABEL", "RESOURCE_ATTRIBUTE", "SCOPED_POLICY_ID"};
    return type < sizeof names / sizeof names[0] ? names[type] : "UNKNOWN";
}

void out_security_text(FILE *f, const asmb_security *sec)
{
    fputs("owner: ", f);
    out_safe(f, sec->owner[0] ? sec->owner : "-");
    fputs("\ngroup: ", f);
    out_safe(f, sec->group[0] ? sec->group : "-");
    fprintf(f, "\ncontrol: 0x%04x\n", sec->control);
    if (!sec->has_dacl) fputs("dacl: none (no access control: everyone has full access)\n", f);
    for (size_t i = 0; i < sec->nace; i++) {
        const asmb_ace *a = &sec->aces[i];
        fprintf(f, "ace: %s 0x%02x 0x%08" PRIx32 " ", ace_type_name(a->type), a->flags, a->mask);
        out_safe(f, a->sid);
        fputc('\n', f);
    }
}

void out_security_json(FILE *f, const asmb_security *sec)
{
    fputs("{\"owner\": ", f);
    out_json_string(f, sec->owner);
    fputs(", \"group\": ", f);
    out_json_string(f, sec->group);
    fprintf(f, ", \"control\": %u, \"has_dacl\": %s, \"aces\": [", sec->control,
            sec->has_dacl ? "true" : "false");
    for (size_t i = 0; i < sec->nace; i++) {
        const asmb_ace *a = &sec->aces[i];
        fprintf(f, "%s\n  {\"type\": %u, \"type_name\": \"%s\", \"flags\": %u, \"mask\": %" PRIu32
                   ", \"sid\": ",
                i ? "," : "", a->type, ace_type_name(a->type), a->flags, a->mask);
        out_json_string(f, a->sid);
        fputc('}', f);
    }
    fputs(sec->nace ? "\n]}\n" : "]}\n", f);
}

/* ---- progress ---- */

double out_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *buf, size_t len, double v)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) v /= 1024, u++;
    snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void duration(char *buf, size_t len, double s)
{
    if (s < 0 || s > 359999) {
        snprintf(buf, len, "--:--");
        return;
    }
    unsigned t = (unsigned)(s + 0.5);
    if (t >= 3600) snprintf(buf, len, "%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, len, "%u:%02u", t / 60, t % 60);
}

static void draw(progress *p, double now, int final)
{
    char done[32], total[32], rate[32], tail[48];
    double elapsed = now - p->start;
    double r = elapsed > 0 ? (double)p->done / elapsed : 0;
    human(done, sizeof done, (double)p->done);
    human(rate, sizeof rate, r);
    if (final) {
        snprintf(tail, sizeof tail, "in ");
        if (elapsed < 60) snprintf(tail + 3, sizeof tail - 3, "%.1fs", elapsed);
        else duration(tail + 3, sizeof tail - 3, elapsed);
    } else if (p->total_known) {
        uint64_t left = p->done < p->total ? p->total - p->done : 0;
        snprintf(tail, sizeof tail, "ETA ");
        duration(tail + 4, sizeof tail - 4, r > 0 ? (double)left / r : -1);
    } else {
        tail[0] = 0;
    }
    if (p->total_known) {
        human(total, sizeof total, (double)p->total);
        double pct = p->total ? (double)p->done * 100 / (double)p->total : 100;
        fprintf(stderr, "\r%s / %s %3u%%  %s/s  %s\033[K", done, total,
                pct > 100 ? 100u : (unsigned)pct, rate, tail);
    } else {
        fprintf(stderr, "\r%s  %s/s  %s\033[K", done, rate, tail);
    }
    if (final) fputc('\n', stderr);
    fflush(stderr);
    p->last_draw = now;
    p->drawn = 1;
}

void progress_init(progress *p, int enabled, uint64_t total, int total_known)
{
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->total = total;
    p->total_known = total_known;
    p->start = p->last_draw = out_now();
}

void progress_add(progress *p, uint64_t n)
{
    p->done += n;
    if (!p->enabled) return;
    double now = out_now();
    if (now - p->last_draw >= 0.1) draw(p, now, 0);
}

void progress_finish(progress *p)
{
    if (p->enabled) draw(p, out_now(), 1);
}

void progress_clear(progress *p)
{
    if (p->enabled && p->drawn) fputs("\r\033[K", stderr);
}

/* ---- shares and snapshots ---- */

static const char *kind_word(int kind)
{
    static const char *const words[] = {"DISK", "PRINTER", "DEVICE", "IPC"};
    return kind >= 0 && kind < 4 ? words[kind] : NULL;
}

/* "DISK", "IPC,special", "0x5,temporary" ... */
static void share_type_text(char *buf, size_t len, const asmb_share_info *s)
{
    const char *w = kind_word(s->kind);
    int n = w ? snprintf(buf, len, "%s", w) : snprintf(buf, len, "0x%x", (unsigned)s->kind);
    if (n < 0 || (size_t)n >= len) return;
    snprintf(buf + n, len - (size_t)n, "%s%s", s->is_special ? ",special" : "",
             s->is_temporary ? ",temporary" : "");
}

static void pad(FILE *f, size_t n)
{
    while (n--) fputc(' ', f);
}

void out_shares_text(FILE *f, const asmb_share_list *l)
{
    size_t wname = 0, wtype = 0;
    char type[48];
    for (size_t i = 0; i < l->count; i++) {
        size_t c = out_safe(NULL, l->shares[i].name);
        if (c > wname) wname = c;
        share_type_text(type, sizeof type, &l->shares[i]);
        if (strlen(type) > wtype) wtype = strlen(type);
    }
    for (size_t i = 0; i < l->count; i++) {
        const asmb_share_info *s = &l->shares[i];
        share_type_text(type, sizeof type, s);
        pad(f, wname - out_safe(f, s->name) + 2);
        fputs(type, f);
        if (s->comment[0]) {
            pad(f, wtype - strlen(type) + 2);
            out_safe(f, s->comment);
        }
        fputc('\n', f);
    }
}

void out_shares_json(FILE *f, const asmb_share_list *l)
{
    fputc('[', f);
    for (size_t i = 0; i < l->count; i++) {
        const asmb_share_info *s = &l->shares[i];
        fputs(i ? ",\n  {\"name\": " : "\n  {\"name\": ", f);
        out_json_string(f, s->name);
        fprintf(f, ", \"type\": %" PRIu32 ", \"kind\": %d, \"is_special\": %s, \"is_temporary\": %s"
                   ", \"comment\": ",
                s->type, s->kind, s->is_special ? "true" : "false",
                s->is_temporary ? "true" : "false");
        out_json_string(f, s->comment);
        fputc('}', f);
    }
    fputs(l->count ? "\n]\n" : "]\n", f);
}

/* "2026-01-02T03:04:05Z" from Unix seconds. */
static void unix_iso(char *buf, size_t len, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "?");
}

void out_snapshots_text(FILE *f, const asmb_snapshot_list *l)
{
    char when[40];
    for (size_t i = 0; i < l->count; i++) {
        unix_iso(when, sizeof when, l->times[i]);
        out_safe(f, l->tokens[i]);
        fprintf(f, "  %s\n", when);
    }
}

void out_snapshots_json(FILE *f, const asmb_snapshot_list *l)
{
    fputc('[', f);
    for (size_t i = 0; i < l->count; i++) {
        fputs(i ? ",\n  {\"token\": " : "\n  {\"token\": ", f);
        out_json_string(f, l->tokens[i]);
        fprintf(f, ", \"time\": %" PRId64 "}", l->times[i]);
    }
    fputs(l->count ? "\n]\n" : "]\n", f);
}
