/* The listing operation, shared by list_path and delete_files. */
#ifndef ASMB_OPS_LIST_PATH_H
#define ASMB_OPS_LIST_PATH_H
#include "fileop.h"

typedef struct list_op {
    asmb_fop f;
    char *pattern;
    uint32_t search, out_len;
    uint8_t flags;
    int first;
    asmb_file_list list; /* grows as replies come */
    size_t cap;
} list_op;

int asmb__list_new(asmb_conn *c, const char *share, const char *path, uint32_t search,
                   const char *pattern, const asmb_opts *opts, list_op **out);
void asmb__file_list_free(void *list);
#endif
