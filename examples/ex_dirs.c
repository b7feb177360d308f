/* ex_dirs: directories.
 *   create_directory asmb-ex-dirs -> in parallel: store a.txt and b.log,
 *   create sub/ -> list_path "*.txt" (default search flags) -> list_path
 *   with the directory flag only -> delete_files on everything in it (folders
 *   too) -> delete_directory asmb-ex-dirs -> close
 *
 *   ex_dirs HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share") */
#include "example.h"

#define DIR_NAME "asmb-ex-dirs"

typedef struct dirs {
    example ex;      /* first: conn, share, exit code */
    ex_mem txt, log; /* the sources: must live until their stores complete */
    int pending;     /* operations of the parallel step still running */
} dirs;

static void print_list(const char *title, const asmb_file_list *l)
{
    printf("%s: %zu entries\n", title, l->count);
    for (size_t i = 0; i < l->count; i++)
        printf("  %-4s %6llu  %s\n", l->entries[i].is_directory ? "DIR" : "",
               (unsigned long long)l->entries[i].file_size, l->entries[i].filename);
}

static void on_removed(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    dirs *s = arg;
    printf("delete_directory: " DIR_NAME " removed\n");
    asmb_conn_close(s->ex.conn);
}

static void on_emptied(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    dirs *s = arg;
    printf("delete_files " DIR_NAME "/*: %llu deleted (sub/ included)\n",
           (unsigned long long)((const asmb_delete_result *)result)->count);
    /* delete_directory only removes an empty directory. */
    asmb_deferred *next = NULL;
    int rc = asmb_delete_directory(s->ex.conn, s->ex.share, DIR_NAME, NULL, &next);
    ex_then(&s->ex, rc, next, on_removed);
}

static void on_listed_dirs(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    dirs *s = arg;
    print_list("list_path " DIR_NAME " (directories only)", result);
    /* ASMB_DELETE_FOLDERS: matching folders are emptied and removed. */
    asmb_deferred *next = NULL;
    int rc = asmb_delete_files(s->ex.conn, s->ex.share, DIR_NAME "/*", ASMB_DELETE_FOLDERS, NULL, &next);
    ex_then(&s->ex, rc, next, on_emptied);
}

static void on_listed_txt(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    dirs *s = arg;
    print_list("list_path " DIR_NAME "/*.txt", result); /* result: owned by d */
    /* Search flags filter on attributes (pysmb's semantics): with only
     * ASMB_ATTR_DIRECTORY, plain files are left out; "." and ".." stay. */
    asmb_deferred *next = NULL;
    int rc =
        asmb_list_path(s->ex.conn, s->ex.share, DIR_NAME, ASMB_ATTR_DIRECTORY, "*", NULL, &next);
    ex_then(&s->ex, rc, next, on_listed_dirs);
}

static void on_populated(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    dirs *s = arg;
    if (--s->pending > 0) return; /* wait for the other two */
    printf("stored a.txt and b.log, created sub/\n");
    asmb_deferred *next = NULL;
    int rc = asmb_list_path(s->ex.conn, s->ex.share, DIR_NAME, ASMB_SEARCH_DEFAULT, "*.txt", NULL,
                            &next);
    ex_then(&s->ex, rc, next, on_listed_txt);
}

static void on_created(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    dirs *s = arg;
    printf("create_directory: " DIR_NAME "\n");
    /* Three independent operations at once; on_populated counts them in. */
    asmb_source txt = {ex_mem_read, &s->txt, -1}, log = {ex_mem_read, &s->log, -1};
    asmb_deferred *d1 = NULL, *d2 = NULL, *d3 = NULL;
    s->pending = 3;
    int rc = asmb_store_file(s->ex.conn, s->ex.share, DIR_NAME "/a.txt", &txt, NULL, &d1);
    ex_then(&s->ex, rc, d1, on_populated);
    rc = asmb_store_file(s->ex.conn, s->ex.share, DIR_NAME "/b.log", &log, NULL, &d2);
    ex_then(&s->ex, rc, d2, on_populated);
    rc = asmb_create_directory(s->ex.conn, s->ex.share, DIR_NAME "/sub", NULL, &d3);
    ex_then(&s->ex, rc, d3, on_populated);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    dirs *s = arg;
    asmb_deferred *d = NULL;
    int rc = asmb_create_directory(c, s->ex.share, DIR_NAME, NULL, &d);
    ex_then(&s->ex, rc, d, on_created);
}

int main(int argc, char **argv)
{
    dirs s = {0};
    ex_mem_set(&s.txt, "a text file\n");
    ex_mem_set(&s.log, "a log file\n");
    return ex_run(argc, argv, "share", auth_ok, &s.ex);
}
