/* QUERY_DIRECTORY response decode and the FileIdBothDirectoryInformation
 * iterator walked to its end, every name converted to UTF-8
 * (src/wire/query_directory.c, utf16.c). Input: the whole SMB2 message; the
 * input itself is also walked as a raw entry buffer, which lets the fuzzer
 * reach the iterator without building a header. */
#include "../src/mem.h"
#include "fuzz_common.h"
#include "wire/smb2_file.h"

static void walk(const uint8_t *buf, size_t len)
{
    asmb_dir_iter it;
    asmb_dir_entry e;
    asmb__dir_iter_init(&it, buf, len);
    size_t n = 0;
    int rc;
    while ((rc = asmb__dir_iter_next(&it, &e)) == 1) {
        FZ_CHECK(fz_inside(e.name, e.name_len, buf, buf + len));
        FZ_CHECK(e.short_name_len <= 24);
        FZ_CHECK(fz_inside(e.short_name, e.short_name_len, buf, buf + len));
        char *name = asmb_utf16le_to_utf8(e.name, e.name_len);
        char *shrt = asmb_utf16le_to_utf8(e.short_name, e.short_name_len);
        FZ_CHECK(name && shrt);
        /* at most 3 UTF-8 bytes per UTF-16 unit */
        FZ_CHECK(strlen(name) <= e.name_len / 2 * 3);
        asmb__free(name);
        asmb__free(shrt);
        FZ_CHECK(++n <= len / 104); /* every entry takes its fixed 104 bytes */
    }
    FZ_CHECK(rc == 0 || rc == ASMB_EPROTO);
    /* the end and the error are sticky */
    FZ_CHECK(asmb__dir_iter_next(&it, &e) == rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *buf;
    size_t blen;
    if (asmb__query_directory_decode(data, size, &buf, &blen) == 0) {
        FZ_SLICE(data, size, buf, blen);
        walk(buf, blen);
    }
    walk(data, size);
    return 0;
}
