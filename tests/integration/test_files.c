/* File operations against a real Samba (started by tests/samba/samba.sh run):
 * pysmb's acceptance cases recreated with our own fixture (fixture.h), plus
 * what asmb adds (rename with replace, security, every dialect). Transfers
 * (retrieve, store, offsets, >4 GiB, concurrency, cancel) are test_transfer.
 *
 *   test_files                  every section
 *   test_files SECTION...       the fixture, then only those sections:
 *     list attrs rename dirs delete misc errors hugedir dialects
 *   test_files quick-dialects   = test_files dialects
 *
 * ASMB_TEST_QUICK set (the valgrind stage): the 100,000-entry folder is
 * skipped (printed "skip"). ASMB_TEST_VERBOSE set: the root listing is
 * printed with its attributes. */
#include "fixture.h"

/* Strict UTF-8 (no overlong forms, no surrogates, no cut sequences). */
static int utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xE0) == 0xC0 ? 1
                : (*s & 0xF0) == 0xE0 ? 2
                : (*s & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0) return 0;
        uint32_t cp = n == 0 ? *s : (uint32_t)(*s & (0x3F >> n));
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i] & 0x3F);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        s += n + 1;
    }
    return 1;
}

/* ---- list_path ---- */

static void test_list(asmb_conn *c)
{
    res x;
    const asmb_file_list *l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    {
        const char *all[NELEM(root_dirs) + NELEM(root_files) + 2];
        size_t n = 0;
        all[n++] = ".";
        all[n++] = "..";
        for (size_t i = 0; i < NELEM(root_dirs); i++)
            all[n++] = root_dirs[i];
        for (size_t i = 0; i < NELEM(root_files); i++)
            all[n++] = root_files[i];
        CHECK(exactly(l, all, n));
    }
    /* the Unicode, spaces-and-long-name and ASCII folders, as folders */
    const char *must[] = {D_ZH, D_LATIN, D_EMOJI, D_LONG, D_ASCII};
    for (size_t i = 0; i < NELEM(must); i++) {
        const asmb_file_info *e = find(l, must[i]);
        CHECK(e != NULL);
        CHECK(e && e->is_directory == 1);
    }
    if (getenv("ASMB_TEST_VERBOSE"))
        for (size_t i = 0; l && i < l->count; i++)
            printf("  %-40s attrs 0x%02x size %llu short '%s'\n", l->entries[i].filename,
                   (unsigned)l->entries[i].file_attributes,
                   (unsigned long long)l->entries[i].file_size, l->entries[i].short_name);
    const asmb_file_info *e = find(l, F_R2);
    CHECK(e && e->file_size == R2_LEN && e->is_directory == 0);
    e = find(l, F_EMOJI);
    CHECK(e && e->file_size == strlen("😀\n"));
    uint64_t r2_id = e ? find(l, F_R2)->file_id : 0;
    res_free(&x);

    /* 999 files, and . and .. */
    l = ls(c, &x, "share", D_MANY, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 0, 1001);
    {
        static char seen[999];
        memset(seen, 0, sizeof seen);
        int files = 0, dots = 0, bad = 0;
        for (size_t i = 0; l && i < l->count; i++) {
            const asmb_file_info *f = &l->entries[i];
            int k;
            if (!strcmp(f->filename, ".") || !strcmp(f->filename, "..")) {
                dots++;
                bad += !f->is_directory;
            } else if (sscanf(f->filename, "f%03d.txt", &k) == 1 && k >= 0 && k < 999 && !seen[k]) {
                seen[k] = 1;
                files++;
                bad += f->is_directory || f->file_size != strlen(D_MANY "/f000.txt");
            } else {
                bad++;
            }
        }
        CHECK_EQ_INT(files, 999);
        CHECK_EQ_INT(dots, 2);
        CHECK_EQ_INT(bad, 0);
    }
    res_free(&x);

    /* directories only */
    l = ls(c, &x, "share", "", ASMB_ATTR_DIRECTORY, NULL);
    CHECK_OK(&x);
    {
        const char *want[NELEM(root_dirs) + 2];
        size_t n = 0;
        want[n++] = ".";
        want[n++] = "..";
        for (size_t i = 0; i < NELEM(root_dirs); i++)
            want[n++] = root_dirs[i];
        CHECK(exactly(l, want, n));
    }
    res_free(&x);

    /* files only */
    l = ls(c, &x, "share", "",
           ASMB_ATTR_READONLY | ASMB_ATTR_HIDDEN | ASMB_ATTR_SYSTEM | ASMB_ATTR_ARCHIVE |
               ASMB_SEARCH_INCL_NORMAL,
           NULL);
    CHECK_OK(&x);
    CHECK(exactly(l, root_files, NELEM(root_files)));
    res_free(&x);

    /* hidden only: the dot file; files without INCL_NORMAL: the fixture's
     * files are "normal" (0x80) on Samba, so only the hidden one is left */
    l = ls(c, &x, "share", "", ASMB_ATTR_HIDDEN, NULL);
    CHECK_OK(&x);
    {
        const char *want[] = {F_HIDDEN};
        CHECK(exactly(l, want, 1));
        CHECK(l && l->count == 1 && l->entries[0].is_normal == 0);
    }
    res_free(&x);
    l = ls(c, &x, "share", "",
           ASMB_ATTR_READONLY | ASMB_ATTR_HIDDEN | ASMB_ATTR_SYSTEM | ASMB_ATTR_ARCHIVE, NULL);
    CHECK_OK(&x);
    {
        const char *want[] = {F_HIDDEN};
        CHECK(exactly(l, want, 1));
    }
    res_free(&x);
    /* search == NORMAL: the normal entries only */
    l = ls(c, &x, "share", "", ASMB_ATTR_NORMAL, NULL);
    CHECK_OK(&x);
    {
        const char *want[NELEM(root_files)];
        size_t n = 0;
        for (size_t i = 0; i < NELEM(root_files); i++)
            if (strcmp(root_files[i], F_HIDDEN)) want[n++] = root_files[i];
        CHECK(exactly(l, want, n));
        int normal = 1;
        for (size_t i = 0; l && i < l->count; i++)
            normal &= l->entries[i].is_normal == 1;
        CHECK(normal);
    }
    res_free(&x);

    /* Test* */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "Test*");
    CHECK_OK(&x);
    {
        const char *want[] = {D_LONG, D_TESTDIR, F_TESTFILE};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);

    /* a Unicode suffix */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "*测试");
    CHECK_OK(&x);
    {
        const char *want[] = {D_ZH_MATCH, F_ZH_MATCH};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);

    /* a pattern matching nothing: an empty list, not an error */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "nothing-matches-*.xyz");
    CHECK_OK(&x);
    CHECK(l != NULL);
    CHECK_EQ_INT(l ? l->count : 99, 0);
    res_free(&x);
    l = ls(c, &x, "share", D_MANY, ASMB_SEARCH_DEFAULT, "g*"); /* in a non-empty folder too */
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 99, 0);
    res_free(&x);

    /* one exact name; a Unicode folder's content, with '/' separators */
    l = ls(c, &x, "share", "/", ASMB_SEARCH_DEFAULT, F_R2);
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 0, 1);
    CHECK(l && l->count == 1 && l->entries[0].file_id == r2_id && r2_id != 0);
    res_free(&x);
    const asmb_file_info *fi = attrs(c, &x, "share", F_R2); /* the same file id */
    CHECK(fi && fi->file_id == r2_id);
    res_free(&x);
    /* an emoji in a pattern (a surrogate pair on the wire) */
    l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, "*📁*");
    CHECK_OK(&x);
    {
        const char *want[] = {D_EMOJI};
        CHECK(exactly(l, want, 1));
    }
    res_free(&x);
    l = ls(c, &x, "share", "", ASMB_ATTR_DIRECTORY, "*é*"); /* accents: the folder only */
    CHECK_OK(&x);
    {
        const char *want[] = {D_LATIN};
        CHECK(exactly(l, want, 1));
    }
    res_free(&x);
    l = ls(c, &x, "share", "/" D_EMOJI "/", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    {
        const char *want[] = {".", "..", F_INNER};
        CHECK(exactly(l, want, NELEM(want)));
        e = find(l, F_INNER);
        CHECK(e && e->file_size == strlen(inner_text));
    }
    res_free(&x);

    /* a missing folder, and a file where a folder is expected */
    ls(c, &x, "share", "no such folder", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_NT(&x, 0xC0000034);
    CHECK(strstr(x.msg, "\\no such folder") != NULL);
    res_free(&x);
    ls(c, &x, "share", F_TESTFILE, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_NT(&x, 0xC0000103); /* STATUS_NOT_A_DIRECTORY */
    res_free(&x);
}

/* ---- get_attributes ---- */

static void test_attrs(asmb_conn *c)
{
    res x;
    double t = now_s();
    const asmb_file_info *fi = attrs(c, &x, "share", F_R1);
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == R1_LEN);
    CHECK(fi && fi->is_directory == 0);
    CHECK(fi && strcmp(fi->filename, F_R1) == 0);
    /* written by the fixture a moment ago */
    CHECK(fi && asmb_filetime_to_unix(fi->last_write_time) > t - 120 &&
          asmb_filetime_to_unix(fi->last_write_time) < t + 3);
    res_free(&x);

    fi = attrs(c, &x, "share", D_ASCII);
    CHECK_OK(&x);
    CHECK(fi && fi->is_directory == 1 && (fi->file_attributes & ASMB_ATTR_DIRECTORY));
    CHECK(fi && strcmp(fi->filename, D_ASCII) == 0);
    res_free(&x);

    const char *uni[] = {D_ZH, D_LATIN, D_EMOJI, D_LONG};
    for (size_t i = 0; i < NELEM(uni); i++) {
        fi = attrs(c, &x, "share", uni[i]);
        CHECK_OK(&x);
        CHECK(fi && fi->is_directory == 1);
        CHECK(fi && strcmp(fi->filename, uni[i]) == 0);
        res_free(&x);
    }
    fi = attrs(c, &x, "share", "\\" D_EMOJI "\\" F_INNER);
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == strlen(inner_text) && fi->is_directory == 0);
    CHECK(fi && strcmp(fi->filename, F_INNER) == 0);
    res_free(&x);
    fi = attrs(c, &x, "share", ""); /* the share's root */
    CHECK_OK(&x);
    CHECK(fi && fi->is_directory == 1);
    res_free(&x);

    /* A file deep down: FileAllInformation carries the whole path, so the
     * reply must not depend on the path's length. */
    char rel[4096] = D_WORK;
    char seg[201];
    memset(seg, 'd', 200);
    seg[200] = 0;
    int rc = 0;
    for (int i = 0; i < 12; i++) {
        seg[0] = (char)('a' + i);
        strcat(rel, "/");
        strcat(rel, seg);
        rc |= disk_mkdir(rel);
    }
    strcat(rel, "/deep.txt");
    rc |= disk_write(rel, "deep\n", 5);
    CHECK_EQ_INT(rc, 0);
    fi = attrs(c, &x, "share", rel); /* about 2,400 characters */
    CHECK_OK(&x);
    CHECK(fi && fi->file_size == 5 && strcmp(fi->filename, "deep.txt") == 0);
    res_free(&x);
    membuf m = {0};
    get(c, &x, "share", rel, 0, -1, &m); /* the same path works for a read */
    CHECK_OK(&x);
    CHECK(m.len == 5 && memcmp(m.p, "deep\n", 5) == 0);
    res_free(&x);
    membuf_free(&m);
    char top[300];
    snprintf(top, sizeof top, D_WORK "/a%s", seg + 1);
    disk_rm_rf(top);

    attrs(c, &x, "share", "no-such-file.txt");
    CHECK_NT(&x, 0xC0000034);
    res_free(&x);
}

/* ---- rename ---- */

static void test_rename(asmb_conn *c)
{
    res x;
    const char *w = D_WORK "/rename";
    mkdir_(c, &x, w);
    CHECK_OK(&x);
    res_free(&x);
    put(c, &x, "share", D_WORK "/rename/a.txt", "AAAA", 4);
    res_free(&x);
    put(c, &x, "share", D_WORK "/rename/b.txt", "BB", 2);
    res_free(&x);

    /* a file */
    rename_(c, &x, D_WORK "/rename/a.txt", D_WORK "/rename/a2.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/a.txt"), 0);
    expect_content(c, D_WORK "/rename/a2.txt", (const uint8_t *)"AAAA", 4);
    /* to a Unicode name and back under another */
    rename_(c, &x, D_WORK "/rename/a2.txt", D_WORK "/rename/переименован 文件 é 🎈.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/переименован 文件 é 🎈.txt", (const uint8_t *)"AAAA", 4);
    rename_(c, &x, D_WORK "/rename/переименован 文件 é 🎈.txt", D_WORK "/rename/a3.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/переименован 文件 é 🎈.txt"), 0);

    /* onto an existing name: refused, both files intact; replaced with the flag */
    rename_(c, &x, D_WORK "/rename/a3.txt", D_WORK "/rename/b.txt", 0);
    CHECK_NT(&x, 0xC0000035); /* STATUS_OBJECT_NAME_COLLISION */
    res_free(&x);
    expect_content(c, D_WORK "/rename/b.txt", (const uint8_t *)"BB", 2);
    expect_content(c, D_WORK "/rename/a3.txt", (const uint8_t *)"AAAA", 4);
    rename_(c, &x, D_WORK "/rename/a3.txt", D_WORK "/rename/b.txt", ASMB_RENAME_REPLACE);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/b.txt", (const uint8_t *)"AAAA", 4);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/a3.txt"), 0);

    /* folders, English and Unicode, with content */
    mkdir_(c, &x, D_WORK "/rename/Folder One");
    CHECK_OK(&x);
    res_free(&x);
    put(c, &x, "share", D_WORK "/rename/Folder One/in.txt", "in", 2);
    res_free(&x);
    rename_(c, &x, D_WORK "/rename/Folder One", D_WORK "/rename/Folder Two", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/Folder Two/in.txt", (const uint8_t *)"in", 2);
    rename_(c, &x, D_WORK "/rename/Folder Two", D_WORK "/rename/Папка 文件夹 ñ 🎉", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/Папка 文件夹 ñ 🎉/in.txt", (const uint8_t *)"in", 2);
    const asmb_file_info *fi = attrs(c, &x, "share", D_WORK "/rename/Папка 文件夹 ñ 🎉");
    CHECK(fi && fi->is_directory == 1);
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/Folder One"), 0);
    CHECK_EQ_INT(exists(c, D_WORK "/rename/Folder Two"), 0);
    /* a folder onto an existing file's name */
    rename_(c, &x, D_WORK "/rename/Папка 文件夹 ñ 🎉", D_WORK "/rename/b.txt", 0);
    CHECK_NT(&x, 0xC0000035);
    res_free(&x);

    /* a move into a folder (within the share) */
    rename_(c, &x, D_WORK "/rename/b.txt", D_WORK "/rename/Папка 文件夹 ñ 🎉/moved.txt", 0);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, D_WORK "/rename/Папка 文件夹 ñ 🎉/moved.txt", (const uint8_t *)"AAAA", 4);

    rename_(c, &x, D_WORK "/rename/missing.txt", D_WORK "/rename/x.txt", 0);
    CHECK_NT(&x, 0xC0000034);
    CHECK(strstr(x.msg, "\\work\\rename\\missing.txt") != NULL);
    res_free(&x);
}

/* ---- create_directory / delete_directory ---- */

static void test_dirs(asmb_conn *c)
{
    res x;
    const char *names[] = {D_WORK "/New Folder", D_WORK "/新建文件夹 ü 🗂"};
    for (size_t i = 0; i < NELEM(names); i++) {
        mkdir_(c, &x, names[i]);
        CHECK_OK(&x);
        res_free(&x);
        const asmb_file_info *fi = attrs(c, &x, "share", names[i]);
        CHECK(fi && fi->is_directory == 1);
        res_free(&x);
        mkdir_(c, &x, names[i]); /* again */
        CHECK_NT(&x, 0xC0000035);
        res_free(&x);
        const asmb_file_list *l = ls(c, &x, "share", names[i], ASMB_SEARCH_DEFAULT, NULL);
        CHECK_OK(&x);
        CHECK_EQ_INT(l ? l->count : 0, 2); /* . and .. */
        res_free(&x);
        rmdir_(c, &x, names[i]);
        CHECK_OK(&x);
        res_free(&x);
        CHECK_EQ_INT(exists(c, names[i]), 0);
    }
    /* not empty */
    mkdir_(c, &x, D_WORK "/full 满");
    res_free(&x);
    put(c, &x, "share", D_WORK "/full 满/x.txt", "x", 1);
    res_free(&x);
    rmdir_(c, &x, D_WORK "/full 满");
    CHECK_NT(&x, 0xC0000101); /* STATUS_DIRECTORY_NOT_EMPTY */
    res_free(&x);
    CHECK_EQ_INT(exists(c, D_WORK "/full 满/x.txt"), 1);
    /* a file is not a folder; a missing one */
    rmdir_(c, &x, D_WORK "/full 满/x.txt");
    CHECK_NT(&x, 0xC0000103);
    res_free(&x);
    rmdir_(c, &x, D_WORK "/no such dir");
    CHECK_NT(&x, 0xC0000034);
    res_free(&x);
    /* nested creation needs the parent */
    mkdir_(c, &x, D_WORK "/no parent/child");
    CHECK_NT(&x, 0xC000003A); /* STATUS_OBJECT_PATH_NOT_FOUND */
    res_free(&x);
}

/* ---- delete_files ---- */

static void test_delete(asmb_conn *c)
{
    res x;
    int rc = disk_mkdir(D_WORK "/del");
    const char *files[] = {"aa1.txt",    "aa2.txt", "aaTest.txt",
                           "aaTest.doc", "ab.txt",  "aaa.txt.bak"};
    for (size_t i = 0; i < NELEM(files); i++) {
        char p[128];
        snprintf(p, sizeof p, D_WORK "/del/%s", files[i]);
        rc |= disk_write(p, files[i], strlen(files[i]));
    }
    /* folders matching the patterns, with nested content */
    rc |= disk_mkdir(D_WORK "/del/aaFolder.txt");
    rc |= disk_write(D_WORK "/del/aaFolder.txt/x.txt", "x", 1);
    rc |= disk_mkdir(D_WORK "/del/aaFolder.txt/sub");
    rc |= disk_write(D_WORK "/del/aaFolder.txt/sub/deep.txt", "d", 1);
    rc |= disk_mkdir(D_WORK "/del/aaFolder.txt/sub/empty");
    rc |= disk_mkdir(D_WORK "/del/aaTest.dir");
    rc |= disk_write(D_WORK "/del/aaTest.dir/文件.txt", "z", 1);
    CHECK_EQ_INT(rc, 0);

    /* aa*.txt without folders: the three files; the folder and the others stay */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aa*.txt", 0), 3);
    CHECK_OK(&x);
    res_free(&x);
    const asmb_file_list *l = ls(c, &x, "share", D_WORK "/del", ASMB_SEARCH_DEFAULT, NULL);
    {
        const char *want[] = {".",           "..",           "aaTest.doc", "ab.txt",
                              "aaa.txt.bak", "aaFolder.txt", "aaTest.dir"};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);
    CHECK(disk_exists(D_WORK "/del/aaFolder.txt/sub/deep.txt"));

    /* aaTest.* without folders */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aaTest.*", 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/aaTest.doc"));
    CHECK(disk_exists(D_WORK "/del/aaTest.dir/文件.txt"));

    /* with folders: removed recursively, nested content included */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aa*.txt", 1), 5); /* x, deep, empty, sub, folder */
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/aaFolder.txt"));
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/aaTest.*", 1), 2);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/aaTest.dir"));
    l = ls(c, &x, "share", D_WORK "/del", ASMB_SEARCH_DEFAULT, NULL);
    {
        const char *want[] = {".", "..", "ab.txt", "aaa.txt.bak"};
        CHECK(exactly(l, want, NELEM(want)));
    }
    res_free(&x);

    /* a missing single file: a success, nothing deleted */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/missing.txt", 0), 0);
    CHECK_OK(&x);
    res_free(&x);
    /* a pattern matching nothing */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/zz*", 1), 0);
    CHECK_OK(&x);
    res_free(&x);
    /* one exact name; a Unicode one */
    disk_write(D_WORK "/del/删除 é.txt", "x", 1);
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/删除 é.txt", 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/删除 é.txt"));
    /* ? wildcard */
    CHECK_EQ_INT(del(c, &x, D_WORK "/del/a?.txt", 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    CHECK(!disk_exists(D_WORK "/del/ab.txt"));
    CHECK(disk_exists(D_WORK "/del/aaa.txt.bak"));
    /* wildcards only in the last component */
    asmb_deferred *d = NULL;
    CHECK_EQ_INT(asmb_delete_files(c, "share", D_WORK "/d*/x.txt", 0, NULL, &d), ASMB_EINVAL);
    CHECK(d == NULL);
}

/* ---- reset_file_attributes, get_security ---- */

static void test_misc(asmb_conn *c)
{
    res x;
    put(c, &x, "share", D_WORK "/attrs.txt", "attrs", 5);
    res_free(&x);
    asmb_deferred *d = NULL;
    int rc = asmb_reset_file_attributes(c, "share", D_WORK "/attrs.txt", NULL, &d);
    res_run(loop, &x, rc, &d);
    CHECK_OK(&x);
    res_free(&x);
    const asmb_file_info *fi = attrs(c, &x, "share", D_WORK "/attrs.txt");
    CHECK(fi && fi->file_size == 5 && fi->is_directory == 0);
    CHECK(fi &&
          (fi->file_attributes & (ASMB_ATTR_READONLY | ASMB_ATTR_HIDDEN | ASMB_ATTR_SYSTEM)) == 0);
    res_free(&x);
    d = NULL;
    rc = asmb_reset_file_attributes(c, "share", D_WORK "/no-such.txt", NULL, &d);
    res_run(loop, &x, rc, &d);
    CHECK_NT(&x, 0xC0000034);
    res_free(&x);

    const char *paths[] = {D_WORK "/attrs.txt", D_ZH};
    for (size_t i = 0; i < NELEM(paths); i++) {
        d = NULL;
        rc = asmb_get_security(c, "share", paths[i], NULL, &d);
        const asmb_security *s = res_run(loop, &x, rc, &d);
        CHECK_OK(&x);
        CHECK(s && strncmp(s->owner, "S-1-", 4) == 0);
        CHECK(s && strncmp(s->group, "S-1-", 4) == 0);
        CHECK(s && s->has_dacl && s->nace >= 1);
        int sids_ok = s != NULL;
        for (size_t k = 0; s && k < s->nace; k++)
            sids_ok &= strncmp(s->aces[k].sid, "S-1-", 4) == 0 && s->aces[k].mask != 0;
        CHECK(sids_ok);
        res_free(&x);
    }
}

/* ---- errors ---- */


/* 1 when the last immediate error of c named invalid UTF-8 (asmb_conn_last_error). */
static int said_utf8(const asmb_conn *c)
{
    const char *m = asmb_conn_last_error(c);
    if (strstr(m, " is not valid UTF-8 at byte ")) return 1;
    fprintf(stderr, "  no UTF-8 message, got \"%s\"\n", m);
    return 0;
}

static void test_errors(asmb_conn *c)
{
    res x;
    membuf m = {0};
    get(c, &x, "share", "dir/missing.txt", 0, -1, &m);
    CHECK_NT(&x, 0xC0000034);
    CHECK(strcmp(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\missing.txt") == 0);
    if (strcmp(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\missing.txt"))
        fprintf(stderr, "  message: %s\n", x.msg);
    res_free(&x);
    get(c, &x, "share", "/dir//missing.txt/", 0, -1, &m); /* separators normalised */
    CHECK(strcmp(x.msg, "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\missing.txt") == 0);
    res_free(&x);
    get(c, &x, "share", "no-dir/missing.txt", 0, -1, &m);
    CHECK_NT(&x, 0xC000003A); /* STATUS_OBJECT_PATH_NOT_FOUND */
    CHECK(strstr(x.msg, "STATUS_OBJECT_PATH_NOT_FOUND: retrieving \\no-dir\\missing.txt") != NULL);
    res_free(&x);
    CHECK_EQ_INT(m.calls, 0);

    /* a long Unicode path in the message: still valid UTF-8, however it is cut */
    for (int shift = 0; shift < 3; shift++) {
        char p[1024] = D_DIR "/";
        for (int i = 0; i < shift; i++)
            strcat(p, "a");
        for (int i = 0; i < 80; i++)
            strcat(p, "缺"); /* 240 bytes: a legal name */
        get(c, &x, "share", p, 0, -1, &m);
        CHECK_NT(&x, 0xC0000034);
        CHECK(utf8_valid(x.msg));
        if (!utf8_valid(x.msg)) fprintf(stderr, "  message is not UTF-8: %s\n", x.msg);
        const char *pre = "STATUS_OBJECT_NAME_NOT_FOUND: retrieving \\dir\\";
        CHECK(strncmp(x.msg, pre, strlen(pre)) == 0);
        res_free(&x);
    }

    /* bad arguments: at once, no deferred */
    {
        asmb_deferred *d = NULL;
        CHECK_EQ_INT(asmb_rename(c, "share", "", "x.txt", 0, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_rename(c, "share", F_TESTFILE, "/", 0, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_rename(c, "share", F_TESTFILE, "x", 2, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_get_attributes(c, NULL, "x", NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_get_attributes(c, "", "x", NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_get_attributes(c, "a\\b", "x", NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_list_path(c, "sh/are", "", 0, NULL, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_delete_files(c, "share", "", 0, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_retrieve_file(c, "share", "x", NULL, NULL, &d), ASMB_EINVAL);
        CHECK_EQ_INT(asmb_store_file(c, "share", "x", NULL, NULL, &d), ASMB_EINVAL);
        CHECK(d == NULL);
    }

    /* a missing share */
    ls(c, &x, "no-such-share", "", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_NT(&x, 0xC00000CC);
    CHECK(strstr(x.msg, "STATUS_BAD_NETWORK_NAME") != NULL);
    res_free(&x);
    get(c, &x, "no-such-share", "a.txt", 0, -1, &m);
    CHECK_NT(&x, 0xC00000CC);
    res_free(&x);

    /* the read-only share: reading works, storing is refused (as the user and as guest) */
    get(c, &x, "ro", "readme.txt", 0, -1, &m);
    CHECK_OK(&x);
    CHECK(m.len > 0);
    res_free(&x);
    membuf_free(&m);
    CHECK_EQ_INT(put(c, &x, "ro", "new.txt", "no", 2), UINT64_MAX);
    CHECK_NT(&x, 0xC0000022);
    CHECK(strstr(x.msg, "STATUS_ACCESS_DENIED: storing \\new.txt") != NULL);
    res_free(&x);
    asmb_config cfg;
    t_config(&cfg);
    cfg.username = "no-such-user-here"; /* map to guest = Bad User */
    cfg.allow_guest_fallback = 1;
    cfg.password = "x";
    conn_events e;
    asmb_conn *g = t_connect(loop, &cfg, &e);
    CHECK_EQ_INT(e.auth_ok, 1);
    if (e.auth_ok) {
        CHECK_EQ_INT(put(g, &x, "ro", "guest.txt", "no", 2), UINT64_MAX);
        CHECK_NT(&x, 0xC0000022);
        res_free(&x);
        asmb_deferred *d = NULL;
        int rc = asmb_delete_files(g, "ro", "readme.txt", 0, NULL, &d);
        res_run(loop, &x, rc, &d);
        CHECK_EQ_INT(x.failed, 1);
        res_free(&x);
    }
    t_free_side(loop, g);
    CHECK(access(disk("../ro/readme.txt"), F_OK) == 0);

    /* invalid UTF-8 in a path or a pattern: ASMB_EINVAL at once, no deferred */
    static const char *bad[] = {"bad\xff.txt", "bad\xc3", "\xed\xa0\x80surrogate", "\xc0\xafover",
                                "dir/\xf8\x88\x80\x80\x80"};
    asmb_sink sink = {mem_write, &m, -1};
    memsrc ms = {(const uint8_t *)"x", 1, 0};
    asmb_source src = {mem_read, &ms, -1};
    int all_einval = 1, none_made = 1, all_said = 1;
/* Each call: its code, and whether it left a message naming the bad byte. */
#define TRY(call) (rcs[k] = (call), all_said &= said_utf8(c), k++)
    for (size_t i = 0; i < NELEM(bad); i++) {
        const char *p = bad[i];
        int rcs[14];
        asmb_deferred *ds[14];
        for (int k = 0; k < 14; k++)
            ds[k] = (asmb_deferred *)&ds; /* must stay untouched */
        int k = 0;
        TRY(asmb_retrieve_file(c, "share", p, &sink, NULL, &ds[k]));
        TRY(asmb_retrieve_file_from_offset(c, "share", p, &sink, 5, 5, NULL, &ds[k]));
        TRY(asmb_store_file(c, "share", p, &src, NULL, &ds[k]));
        TRY(asmb_store_file_from_offset(c, "share", p, &src, 0, 0, NULL, &ds[k]));
        TRY(asmb_list_path(c, "share", p, ASMB_SEARCH_DEFAULT, NULL, NULL, &ds[k]));
        TRY(asmb_list_path(c, "share", "", ASMB_SEARCH_DEFAULT, p, NULL, &ds[k]));
        TRY(asmb_get_attributes(c, "share", p, NULL, &ds[k]));
        TRY(asmb_reset_file_attributes(c, "share", p, NULL, &ds[k]));
        TRY(asmb_create_directory(c, "share", p, NULL, &ds[k]));
        TRY(asmb_delete_directory(c, "share", p, NULL, &ds[k]));
        TRY(asmb_rename(c, "share", p, "ok.txt", 0, NULL, &ds[k]));
        TRY(asmb_rename(c, "share", F_TESTFILE, p, 0, NULL, &ds[k]));
        TRY(asmb_delete_files(c, "share", p, ASMB_DELETE_FOLDERS, NULL, &ds[k]));
        TRY(asmb_get_security(c, "share", p, NULL, &ds[k]));
        for (int j = 0; j < k; j++) {
            if (rcs[j] != ASMB_EINVAL) {
                fprintf(stderr, "  invalid UTF-8 #%zu, call %d: %s\n", i, j, asmb_err_name(rcs[j]));
                all_einval = 0;
            }
            if (ds[j] != (asmb_deferred *)&ds) none_made = 0;
        }
    }
#undef TRY
    CHECK(all_einval);
    CHECK(none_made);
    CHECK(all_said); /* each call left a message naming the bad byte */
    /* The message names the argument, the byte (from 1), the reason and the
     * path: its valid prefix as it is, the rest escaped. */
    asmb_deferred *d0 = NULL;
    CHECK_EQ_INT(asmb_list_path(c, "share", "\\docs\\\xe2\x82x", 0, NULL, NULL, &d0), ASMB_EINVAL);
    const char *want = "path is not valid UTF-8 at byte 7 (a truncated sequence): "
                       "\\docs\\\\xE2\\x82x";
    CHECK(strcmp(asmb_conn_last_error(c), want) == 0);
    if (strcmp(asmb_conn_last_error(c), want))
        fprintf(stderr, "  got \"%s\"\n  want \"%s\"\n", asmb_conn_last_error(c), want);
    CHECK_EQ_INT(asmb_list_path(c, "share", "", 0, "*\xff", NULL, &d0), ASMB_EINVAL);
    CHECK(strncmp(asmb_conn_last_error(c), "pattern is not valid UTF-8 at byte 2 ", 37) == 0);
    CHECK_EQ_INT(asmb_rename(c, "share", F_TESTFILE, "n\xc3", 0, NULL, &d0), ASMB_EINVAL);
    CHECK(strncmp(asmb_conn_last_error(c), "new path is not valid UTF-8 at byte 2 ", 38) == 0);
    CHECK_EQ_INT(asmb_delete_files(c, "share", "\xed\xa0\x80*", 0, NULL, &d0), ASMB_EINVAL);
    CHECK(strstr(asmb_conn_last_error(c), "path pattern is not valid UTF-8 at byte 1 (a UTF-16 "
                                          "surrogate)") != NULL);
    CHECK(d0 == NULL);

    CHECK_EQ_INT(m.calls, 0);
    CHECK(disk_exists(F_TESTFILE)); /* the rename with a bad target did nothing */
    /* nothing was left behind: the connection still works, and the next
     * operation cleared the message */
    attrs(c, &x, "share", F_TESTFILE);
    CHECK_OK(&x);
    CHECK(asmb_conn_last_error(c)[0] == 0);
    res_free(&x);
}

/* ---- 100,000 entries ---- */

static void test_hugedir(asmb_conn *c)
{
    if (quick) {
        printf("skip: 100,000-entry folder (ASMB_TEST_QUICK)\n");
        return;
    }
    enum { N = 100000 };
    const char *dir = D_WORK "/huge";
    int rc = disk_mkdir(dir);
    char base[2048];
    snprintf(base, sizeof base, "%s", disk(dir));
    for (int i = 0; i < N && !rc; i++) {
        char p[2100];
        snprintf(p, sizeof p, "%s/entry_%06d", base, i);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || fchown(fd, share_uid, share_gid)) rc = -1;
        if (fd >= 0) close(fd);
    }
    CHECK_EQ_INT(rc, 0);
    res x;
    double t0 = now_s();
    const asmb_file_list *l = ls(c, &x, "share", dir, ASMB_SEARCH_DEFAULT, NULL);
    double t1 = now_s();
    CHECK_OK(&x);
    CHECK_EQ_INT(l ? l->count : 0, N + 2);
    char *seen = calloc(N, 1);
    int distinct = 0;
    for (size_t i = 0; l && i < l->count; i++) {
        int k;
        if (sscanf(l->entries[i].filename, "entry_%06d", &k) == 1 && k >= 0 && k < N && !seen[k]) {
            seen[k] = 1;
            distinct++;
        }
    }
    CHECK_EQ_INT(distinct, N);
    free(seen);
    res_free(&x);
    printf("100,000 entries listed in %.1f s\n", t1 - t0);
    disk_rm_rf(dir);
}

/* ---- the basic subset at every dialect ---- */

static void basic_at(uint16_t dialect)
{
    conn_events e;
    asmb_conn *c = t_connect_at(loop, dialect, dialect, &e);
    if (!e.auth_ok) {
        t_free(loop, c);
        return;
    }
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    CHECK_EQ_INT(info.dialect, dialect);
    res x;
    char dir[128], p[256], q[256];
    snprintf(dir, sizeof dir, D_WORK "/dialect %s ü", asmb_dialect_name(dialect));

    const asmb_file_list *l = ls(c, &x, "share", "", ASMB_SEARCH_DEFAULT, NULL);
    CHECK_OK(&x);
    CHECK(find(l, D_ZH) && find(l, D_EMOJI) && find(l, D_LONG) && find(l, D_ASCII));
    res_free(&x);
    l = ls(c, &x, "share", D_MANY, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_EQ_INT(l ? l->count : 0, 1001);
    res_free(&x);
    const asmb_file_info *fi = attrs(c, &x, "share", F_R2);
    CHECK(fi && fi->file_size == R2_LEN && !fi->is_directory);
    res_free(&x);
    check_get(c, F_R2, 0, -1, r2, R2_LEN, R2_LEN);
    check_get(c, F_R2, 100000, 100000, r2 + 100000, 100000, R2_LEN);

    mkdir_(c, &x, dir);
    CHECK_OK(&x);
    res_free(&x);
    snprintf(p, sizeof p, "%s/stored 文件.bin", dir);
    CHECK_EQ_INT(put(c, &x, "share", p, r2, R2_LEN), R2_LEN);
    CHECK_OK(&x);
    res_free(&x);
    expect_content(c, p, r2, R2_LEN);
    CHECK_EQ_INT(put_at(c, &x, p, r1, 1000, R2_LEN, 0), 1000); /* append */
    res_free(&x);
    fi = attrs(c, &x, "share", p);
    CHECK(fi && fi->file_size == R2_LEN + 1000);
    res_free(&x);
    snprintf(q, sizeof q, "%s/renamed 🎉.bin", dir);
    rename_(c, &x, p, q, 0);
    CHECK_OK(&x);
    res_free(&x);
    check_get(c, q, R2_LEN, -1, r1, 1000, R2_LEN + 1000);
    snprintf(p, sizeof p, "%s/*.bin", dir);
    CHECK_EQ_INT(del(c, &x, p, 0), 1);
    CHECK_OK(&x);
    res_free(&x);
    l = ls(c, &x, "share", dir, ASMB_SEARCH_DEFAULT, NULL);
    CHECK_EQ_INT(l ? l->count : 0, 2);
    res_free(&x);
    rmdir_(c, &x, dir);
    CHECK_OK(&x);
    res_free(&x);
    CHECK_EQ_INT(exists(c, dir), 0);
    t_free(loop, c);
}

static void test_dialects(void)
{
    static const uint16_t all[] = {ASMB_SMB2_02, ASMB_SMB2_10, ASMB_SMB3_00, ASMB_SMB3_02,
                                   ASMB_SMB3_11};
    for (size_t i = 0; i < NELEM(all); i++) {
        int before = t_fail;
        basic_at(all[i]);
        printf("dialect %s: %s\n", asmb_dialect_name(all[i]), t_fail == before ? "ok" : "FAILED");
    }
}

static void after_sections(int argc, char **argv)
{
    if (wanted(argc, argv, "dialects") || wanted(argc, argv, "quick-dialects")) test_dialects();
}

int main(int argc, char **argv)
{
    static const section sections[] = {
        {"list", test_list},     {"attrs", test_attrs},     {"rename", test_rename},
        {"dirs", test_dirs},     {"delete", test_delete},   {"misc", test_misc},
        {"errors", test_errors}, {"hugedir", test_hugedir},
    };
    return files_main(argc, argv, sections, NELEM(sections), NULL, after_sections);
}
