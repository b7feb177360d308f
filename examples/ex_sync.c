/* ex_sync: the blocking API (asmb_sync.h), for tools and scripts that have
 * no event loop. Each call runs a private libuv loop until its operation is
 * done. connect -> store -> list -> retrieve -> delete -> close
 *
 *   ex_sync HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share") */
#include <asmb/asmb_sync.h>

#include "example.h" /* ex_args, ex_mem (the rest is for the async examples) */

static const char text[] = "Stored and read back with the blocking API.\n";

int main(int argc, char **argv)
{
    const char *share;
    asmb_config cfg;
    int rc = ex_args(argc, argv, "share", NULL, &cfg, &share);
    if (rc != 0) return rc;

    asmb_failure err = {0}; /* filled on failure: code, NTSTATUS, message */
    asmb_sync *s = asmb_sync_connect(argv[1], atoi(argv[2]), &cfg, &err);
    if (!s) {
        fprintf(stderr, "connect: %s\n", err.message);
        return err.code == ASMB_EAUTH ? 3 : 4;
    }
    rc = 1;
    asmb_file_list list = {0}; /* results go into our own structures */

    /* store: create or overwrite, as asmb_store_file. */
    ex_mem src;
    ex_mem_set(&src, text);
    asmb_source source = {ex_mem_read, &src, -1};
    asmb_store_result stored;
    if (asmb_sync_store_file(s, share, "asmb-ex-sync.txt", &source, NULL, &stored, &err) != 0)
        goto out;
    printf("stored %llu bytes\n", (unsigned long long)stored.bytes);

    /* list: what the list holds is ours, released below. */
    if (asmb_sync_list_path(s, share, "", ASMB_SEARCH_DEFAULT, "asmb-ex-sync*", NULL, &list,
                            &err) != 0)
        goto out;
    for (size_t i = 0; i < list.count; i++)
        printf("listed %s, %llu bytes\n", list.entries[i].filename,
               (unsigned long long)list.entries[i].file_size);

    /* retrieve the whole file into memory. */
    ex_mem back = {0};
    asmb_sink sink = {ex_mem_write, &back, -1};
    asmb_retrieve_result r;
    if (asmb_sync_retrieve_file(s, share, "asmb-ex-sync.txt", &sink, NULL, &r, &err) != 0)
        goto out;
    asmb_retrieve_result_clear(&r); /* r.info's strings are ours too */
    int same = back.len == src.len && memcmp(back.data, text, back.len) == 0;
    printf("retrieved %llu bytes, %s\n", (unsigned long long)r.bytes,
           same ? "identical" : "DIFFERENT");

    asmb_delete_result deleted;
    if (asmb_sync_delete_files(s, share, "asmb-ex-sync.txt", 0, NULL, &deleted, &err) != 0)
        goto out;
    printf("deleted %llu\n", (unsigned long long)deleted.count);
    rc = same ? 0 : 1;
out:
    if (rc && err.code) fprintf(stderr, "%s: %s\n", asmb_err_name(err.code), err.message);
    asmb_file_list_clear(&list); /* an empty list is fine */
    asmb_sync_close(s);        /* logs off, closes and frees */
    return rc;
}
