/* ex_files: the file operations, chained one after the other.
 *   store a file from memory -> get_attributes -> retrieve it into a buffer
 *   -> rename it -> delete_files with a wildcard -> close
 *
 *   ex_files HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share")
 *
 * Each step starts the next one from its callback; any failure goes to one
 * errback that closes the connection (example.h: ex_then, ex_error). */
#include "example.h"

typedef struct files {
    example ex;  /* first: conn, share, exit code */
    ex_mem text; /* the source: what is stored */
    ex_mem back; /* the sink: what is read back */
} files;

/* ---- the steps, in order ---- */

static void on_deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    files *s = arg;
    printf("delete_files: %llu deleted\n", (unsigned long long)*(const uint64_t *)result);
    asmb_conn_close(s->ex.conn); /* TREE_DISCONNECT, LOGOFF, then the socket */
}

static void on_renamed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    files *s = arg;
    printf("rename: asmb-ex-files.txt -> asmb-ex-files-renamed.txt\n");
    asmb_deferred *next = NULL;
    int rc = asmb_delete_files(s->ex.conn, s->ex.share, "asmb-ex-files*.txt", 0, NULL, &next);
    ex_then(&s->ex, rc, next, on_deleted);
}

static void on_retrieved(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    files *s = arg;
    const asmb_retrieve_result *r = result; /* owned by d: valid during this call */
    if (r->bytes != s->text.len || memcmp(s->back.data, s->text.data, s->back.len) != 0) {
        ex_fail(&s->ex, "retrieve", "the bytes read back differ from the ones stored");
        return;
    }
    printf("retrieve_file: %llu bytes, identical\n", (unsigned long long)r->bytes);
    asmb_deferred *next = NULL;
    int rc = asmb_rename(s->ex.conn, s->ex.share, "asmb-ex-files.txt", "asmb-ex-files-renamed.txt",
                         ASMB_RENAME_REPLACE, NULL, &next);
    ex_then(&s->ex, rc, next, on_renamed);
}

static void on_attributes(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    files *s = arg;
    const asmb_file_info *fi = result;
    printf("get_attributes: %s, %llu bytes, attributes 0x%x, modified at %.0f (Unix time)\n",
           fi->filename, (unsigned long long)fi->file_size, fi->file_attributes,
           asmb_filetime_to_unix(fi->last_write_time));
    /* The sink's arg (s->back) must stay valid until the deferred fires:
     * s lives in main's frame, so it does. */
    asmb_sink sink = {ex_mem_write, &s->back, -1};
    asmb_deferred *next = NULL;
    int rc = asmb_retrieve_file(s->ex.conn, s->ex.share, "asmb-ex-files.txt", &sink, NULL, &next);
    ex_then(&s->ex, rc, next, on_retrieved);
}

static void on_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    files *s = arg;
    printf("store_file: %llu bytes\n",
           (unsigned long long)((const asmb_store_result *)result)->bytes);
    asmb_deferred *next = NULL;
    int rc = asmb_get_attributes(s->ex.conn, s->ex.share, "asmb-ex-files.txt", NULL, &next);
    ex_then(&s->ex, rc, next, on_attributes);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    files *s = arg;
    asmb_source src = {ex_mem_read, &s->text, -1}; /* copied by the call; s->text must outlive it */
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(c, s->ex.share, "asmb-ex-files.txt", &src, NULL, &d);
    ex_then(&s->ex, rc, d, on_stored);
}

int main(int argc, char **argv)
{
    files s = {0};
    ex_mem_set(&s.text, "Stored from memory by ex_files, then read back.\n");
    return ex_run(argc, argv, "share", auth_ok, &s.ex);
}
