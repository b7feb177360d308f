/* ex_sync: the blocking API (asmb_sync.h), for tools and scripts that have
 * no event loop. Each call runs a private libuv loop until its operation is
 * done. connect -> store -> list -> retrieve -> delete -> close
 *
 *   ex_sync HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "share") */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asmb/asmb_sync.h>

static const char text[] = "Stored and read back with the blocking API.\n";

typedef struct mem {
    char data[128];
    size_t len, pos;
} mem;

static long mem_read(void *arg, void *buf, size_t len)
{
    mem *m = arg;
    size_t n = m->len - m->pos;
    if (n > len) n = len;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (long)n;
}

static int mem_write(void *arg, const void *data, size_t len)
{
    mem *m = arg;
    if (m->len + len > sizeof m->data) return -1;
    memcpy(m->data + m->len, data, len);
    m->len += len;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [USER [PASSWORD [SHARE]]]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *share = argc > 5 ? argv[5] : "share";
    asmb_config cfg;
    asmb_config_init(&cfg);
    cfg.username = argc > 3 ? argv[3] : NULL;
    cfg.password = argc > 4 ? argv[4] : NULL;

    asmb_error err = {0}; /* filled on failure: code, NTSTATUS, message */
    asmb_sync *s = asmb_sync_connect(argv[1], atoi(argv[2]), &cfg, &err);
    if (!s) {
        fprintf(stderr, "connect: %s\n", err.message);
        return err.code == ASMB_EAUTH ? 3 : 4;
    }
    int rc = 1;
    asmb_file_list *list = NULL;

    /* store: offset 0 + ASMB_STORE_TRUNCATE = create or overwrite. */
    mem src = {.len = sizeof text - 1};
    memcpy(src.data, text, src.len);
    asmb_source source = {mem_read, &src, -1};
    uint64_t bytes;
    if (asmb_sync_store(s, share, "asmb-ex-sync.txt", &source, 0, ASMB_STORE_TRUNCATE, NULL,
                        &bytes, &err) != 0)
        goto out;
    printf("stored %llu bytes\n", (unsigned long long)bytes);

    /* list: the result is ours, freed below. */
    if (asmb_sync_list_path(s, share, "", ASMB_SEARCH_DEFAULT, "asmb-ex-sync*", NULL, &list,
                            &err) != 0)
        goto out;
    for (size_t i = 0; i < list->count; i++)
        printf("listed %s, %llu bytes\n", list->entries[i].filename,
               (unsigned long long)list->entries[i].file_size);

    /* retrieve the whole file (offset 0, max_length -1) into memory. */
    mem back = {0};
    asmb_sink sink = {mem_write, &back, -1};
    asmb_retrieve_result r;
    if (asmb_sync_retrieve(s, share, "asmb-ex-sync.txt", &sink, 0, -1, NULL, &r, &err) != 0)
        goto out;
    asmb_file_info_clear(&r.info); /* r.info's strings are ours too */
    int same = back.len == src.len && memcmp(back.data, text, back.len) == 0;
    printf("retrieved %llu bytes, %s\n", (unsigned long long)r.bytes,
           same ? "identical" : "DIFFERENT");

    uint64_t deleted;
    if (asmb_sync_delete_files(s, share, "asmb-ex-sync.txt", 0, NULL, &deleted, &err) != 0)
        goto out;
    printf("deleted %llu\n", (unsigned long long)deleted);
    rc = same ? 0 : 1;
out:
    if (rc && err.code) fprintf(stderr, "%s: %s\n", asmb_err_name(err.code), err.message);
    asmb_file_list_free(list); /* NULL is fine */
    asmb_sync_close(s);        /* logs off, closes and frees */
    return rc;
}
