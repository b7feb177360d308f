/* NTSTATUS table: sorted, unique, well-formed names, known pairs, the
 * logon-failure helper. */
#include "asmb/asmb.h"
#include "ntstatus.h"
#include "test.h"

static void test_table_shape(void)
{
    size_t n = asmb__ntstatus_count();
    CHECK(n >= 450);

    int sorted = 1, names_ok = 1, found_all = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = asmb__ntstatus_value_at(i);
        if (i > 0 && asmb__ntstatus_value_at(i - 1) >= v) {
            sorted = 0;
            fprintf(stderr, "not strictly sorted at %zu: 0x%08X\n", i, (unsigned)v);
        }
        const char *name = asmb__ntstatus_lookup(v);
        if (!name) {
            found_all = 0;
            fprintf(stderr, "lookup failed for table value 0x%08X\n", (unsigned)v);
        } else if (strncmp(name, "STATUS_", 7) != 0 || strlen(name) <= 7) {
            names_ok = 0;
            fprintf(stderr, "bad name for 0x%08X: %s\n", (unsigned)v, name);
        }
    }
    CHECK(sorted);
    CHECK(names_ok);
    CHECK(found_all);
    /* The first and last entries are reachable by the binary search. */
    CHECK(asmb__ntstatus_lookup(asmb__ntstatus_value_at(0)) != NULL);
    CHECK(asmb__ntstatus_lookup(asmb__ntstatus_value_at(n - 1)) != NULL);
}

static void check_name(uint32_t v, const char *want)
{
    const char *got = asmb_ntstatus_name(v);
    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "0x%08X: want %s, got %s\n", (unsigned)v, want, got ? got : "(null)");
        CHECK(0);
    } else {
        CHECK(1);
    }
}

static void test_known_pairs(void)
{
    check_name(0x00000000u, "STATUS_SUCCESS");
    check_name(0x00000103u, "STATUS_PENDING");
    check_name(0x0000010Cu, "STATUS_NOTIFY_ENUM_DIR");
    check_name(0x80000005u, "STATUS_BUFFER_OVERFLOW");
    check_name(0x80000006u, "STATUS_NO_MORE_FILES");
    check_name(0x8000002Du, "STATUS_STOPPED_ON_SYMLINK");
    check_name(0xC0000001u, "STATUS_UNSUCCESSFUL");
    check_name(0xC000000Du, "STATUS_INVALID_PARAMETER");
    check_name(0xC0000011u, "STATUS_END_OF_FILE");
    check_name(0xC0000016u, "STATUS_MORE_PROCESSING_REQUIRED");
    check_name(0xC0000022u, "STATUS_ACCESS_DENIED");
    check_name(0xC0000034u, "STATUS_OBJECT_NAME_NOT_FOUND");
    check_name(0xC0000043u, "STATUS_SHARING_VIOLATION");
    check_name(0xC000006Du, "STATUS_LOGON_FAILURE");
    check_name(0xC00000BBu, "STATUS_NOT_SUPPORTED");
    check_name(0xC00000CCu, "STATUS_BAD_NETWORK_NAME");
    check_name(0xC0000120u, "STATUS_CANCELLED");
    check_name(0xC0000203u, "STATUS_USER_SESSION_DELETED");
    check_name(0xC0000225u, "STATUS_NOT_FOUND");
    check_name(0xC000035Cu, "STATUS_NETWORK_SESSION_EXPIRED");
    check_name(0xC0000466u, "STATUS_SERVER_UNAVAILABLE");
    check_name(0xC000A000u, "STATUS_INVALID_SIGNATURE");
    check_name(0xC000A100u, "STATUS_HASH_NOT_SUPPORTED");
    check_name(0xC05D0000u, "STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP");

    /* The header constants agree with the table. */
    check_name(ASMB_STATUS_FILE_CLOSED, "STATUS_FILE_CLOSED");
    check_name(ASMB_STATUS_DELETE_PENDING, "STATUS_DELETE_PENDING");
    check_name(ASMB_STATUS_FS_DRIVER_REQUIRED, "STATUS_FS_DRIVER_REQUIRED");
    check_name(ASMB_STATUS_ACCOUNT_LOCKED_OUT, "STATUS_ACCOUNT_LOCKED_OUT");

    /* The internal lookup and the public function agree. */
    CHECK(asmb__ntstatus_lookup(0xC0000022u) == asmb_ntstatus_name(0xC0000022u));
}

static void test_unknown(void)
{
    CHECK(asmb_ntstatus_name(0x00000004u) == NULL);
    CHECK(asmb_ntstatus_name(0xC0000036u) == NULL); /* a gap in MS-ERREF */
    CHECK(asmb_ntstatus_name(0xC0FFEE00u) == NULL);
    CHECK(asmb_ntstatus_name(0xFFFFFFFFu) == NULL);
    CHECK(asmb_ntstatus_name(0x12345678u) == NULL);
    CHECK(asmb__ntstatus_lookup(0xDEADBEEFu) == NULL);
}

static void test_logon_failure(void)
{
    static const uint32_t yes[] = {
        ASMB_STATUS_LOGON_FAILURE,        ASMB_STATUS_NO_SUCH_USER,
        ASMB_STATUS_WRONG_PASSWORD,       ASMB_STATUS_ACCOUNT_EXPIRED,
        ASMB_STATUS_PASSWORD_EXPIRED,     ASMB_STATUS_ACCOUNT_LOCKED_OUT,
        ASMB_STATUS_ACCOUNT_DISABLED,     ASMB_STATUS_INVALID_LOGON_HOURS,
        ASMB_STATUS_LOGON_TYPE_NOT_GRANTED, ASMB_STATUS_INVALID_WORKSTATION,
        ASMB_STATUS_TRUSTED_DOMAIN_FAILURE, ASMB_STATUS_TRUSTED_RELATIONSHIP_FAILURE,
    };
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        CHECK_EQ_INT(asmb__ntstatus_is_logon_failure(yes[i]), 1);
        CHECK(asmb__ntstatus_lookup(yes[i]) != NULL);
    }
    CHECK_EQ_INT(asmb__ntstatus_is_logon_failure(ASMB_STATUS_SUCCESS), 0);
    CHECK_EQ_INT(asmb__ntstatus_is_logon_failure(ASMB_STATUS_MORE_PROCESSING_REQUIRED), 0);
    CHECK_EQ_INT(asmb__ntstatus_is_logon_failure(ASMB_STATUS_ACCESS_DENIED), 0);
    CHECK_EQ_INT(asmb__ntstatus_is_logon_failure(ASMB_STATUS_NETWORK_SESSION_EXPIRED), 0);
    CHECK_EQ_INT(asmb__ntstatus_is_logon_failure(ASMB_STATUS_BAD_NETWORK_NAME), 0);
}

/* Every constant of the public header (read as text, so that a constant
 * added there is checked without being listed here) names its own value:
 * asmb_ntstatus_name(ASMB_STATUS_X) == "STATUS_X". */
static void test_public_header(void)
{
    FILE *f = fopen(ASMB_SOURCE_DIR "/include/asmb/asmb_ntstatus.h", "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[256], name[128];
    unsigned value;
    int n = 0, bad = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "#define ASMB_STATUS_%127s 0x%x", name, &value) != 2) continue;
        n++;
        const char *got = asmb_ntstatus_name(value);
        if (!got || strncmp(got, "STATUS_", 7) || strcmp(got + 7, name)) {
            fprintf(stderr, "ASMB_STATUS_%s is 0x%08X, which is %s\n", name, value,
                    got ? got : "(unknown)");
            bad++;
        }
    }
    fclose(f);
    CHECK(n >= 100);
    CHECK_EQ_INT(bad, 0);
    /* The constants callers asked for (issue 14) exist and name their value. */
    check_name(ASMB_STATUS_OBJECT_NAME_COLLISION, "STATUS_OBJECT_NAME_COLLISION");
    check_name(ASMB_STATUS_OBJECT_PATH_NOT_FOUND, "STATUS_OBJECT_PATH_NOT_FOUND");
    check_name(ASMB_STATUS_NOT_A_DIRECTORY, "STATUS_NOT_A_DIRECTORY");
    check_name(ASMB_STATUS_FILE_IS_A_DIRECTORY, "STATUS_FILE_IS_A_DIRECTORY");
    check_name(ASMB_STATUS_PATH_NOT_COVERED, "STATUS_PATH_NOT_COVERED");
    check_name(ASMB_STATUS_DISK_FULL, "STATUS_DISK_FULL");
    CHECK_EQ_INT(ASMB_STATUS_OBJECT_NAME_COLLISION == 0xC0000035u, 1);
}

int main(void)
{
    test_public_header();
    test_table_shape();
    test_known_pairs();
    test_unknown();
    test_logon_failure();
    TEST_DONE();
}
