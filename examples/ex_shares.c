/* ex_shares: shares and snapshots ("previous versions").
 *   list_shares -> tree_connect SHARE -> list_snapshots of PATH -> retrieve
 *   PATH as it was in the newest snapshot (asmb_opts.snapshot) and as it is
 *   now, in parallel -> close
 *
 *   ex_shares HOST PORT [USER [PASSWORD [SHARE [PATH]]]]
 * SHARE defaults to "snap" and PATH to "f.txt": the test Samba's shadow_copy2
 * share, whose snapshot holds f.txt "old" while the live f.txt says "new". */
#include "example.h"

typedef struct shares {
    example ex; /* first: conn, share, exit code */
    const char *path;
    char snapshot_name[25]; /* "@GMT-YYYY.MM.DD-HH.MM.SS" */
    ex_mem old, now;        /* the two retrieves' sinks write here */
    int pending;
} shares;

static void on_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    shares *s = arg;
    if (--s->pending > 0) return; /* both retrieves done */
    printf("%s in %s: \"%.*s\"\n", s->path, s->snapshot_name, (int)strcspn(s->old.data, "\n"),
           s->old.data);
    printf("%s now: \"%.*s\"\n", s->path, (int)strcspn(s->now.data, "\n"), s->now.data);
    asmb_conn_close(s->ex.conn);
}

static void on_snapshots(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    shares *s = arg;
    const asmb_snapshot_list *l = result; /* owned by d: copy what we keep */
    printf("list_snapshots %s\\%s: %zu\n", s->ex.share, s->path, l->count);
    for (size_t i = 0; i < l->count; i++)
        printf("  %s  (Unix time %lld)\n", l->tokens[i], (long long)l->times[i]);
    if (l->count == 0) {
        ex_fail(&s->ex, s->path, "no snapshot to read");
        return;
    }
    size_t newest = 0; /* the list is in the server's order */
    for (size_t i = 1; i < l->count; i++)
        if (l->times[i] > l->times[newest]) newest = i;
    memcpy(s->snapshot_name, l->tokens[newest], sizeof s->snapshot_name);

    /* The same path twice: opts.snapshot picks the version (read when the
     * call is made, so a local asmb_opts is fine). */
    asmb_opts in_snapshot = {.snapshot = l->times[newest]};
    asmb_sink old = {ex_mem_write, &s->old, -1}, now = {ex_mem_write, &s->now, -1};
    asmb_deferred *d1 = NULL, *d2 = NULL;
    s->pending = 2;
    int rc = asmb_retrieve_file(s->ex.conn, s->ex.share, s->path, &old, &in_snapshot, &d1);
    ex_then(&s->ex, rc, d1, on_retrieved);
    rc = asmb_retrieve_file(s->ex.conn, s->ex.share, s->path, &now, NULL, &d2);
    ex_then(&s->ex, rc, d2, on_retrieved);
}

static void on_tree(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    shares *s = arg;
    const asmb_tree_info *t = result;
    printf("tree_connect %s: tree id %u, type %u, maximal access 0x%08x\n", s->ex.share, t->tree_id,
           t->share_type, t->maximal_access);
    asmb_deferred *next = NULL;
    int rc = asmb_list_snapshots(s->ex.conn, s->ex.share, s->path, NULL, &next);
    ex_then(&s->ex, rc, next, on_snapshots);
}

static void on_shares(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    shares *s = arg;
    const asmb_share_list *l = result;
    static const char *kinds[] = {"disk", "print", "device", "IPC"};
    printf("list_shares: %zu\n", l->count);
    for (size_t i = 0; i < l->count; i++) {
        const asmb_share_info *sh = &l->shares[i];
        printf("  %-10s %-6s %s%s\n", sh->name, sh->kind < 4 ? kinds[sh->kind] : "?", sh->comment,
               sh->is_special ? " (special)" : "");
    }
    /* File operations connect to their share on demand; an explicit
     * tree_connect checks access up front and tells what the share is. */
    asmb_deferred *next = NULL;
    int rc = asmb_tree_connect(s->ex.conn, s->ex.share, NULL, &next);
    ex_then(&s->ex, rc, next, on_tree);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    shares *s = arg;
    asmb_deferred *d = NULL;
    int rc = asmb_list_shares(c, NULL, &d);
    ex_then(&s->ex, rc, d, on_shares);
}

int main(int argc, char **argv)
{
    shares s = {.ex.more_usage = " [PATH]"};
    s.path = argc > 6 ? argv[6] : "f.txt";
    return ex_run(argc, argv, "snap", auth_ok, &s.ex);
}
