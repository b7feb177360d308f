/* Self-relative security descriptors and SIDs (src/wire/secdesc.c).
 * Input: the descriptor. */
#include "fuzz_common.h"
#include "wire/smb2_file.h"

static void check_sid(const asmb_sid_str *s)
{
    FZ_TERMINATED(s->s, sizeof s->s);
    FZ_CHECK(strncmp(s->s, "S-1-", 4) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asmb_sid_str sid;
    int n = asmb__sid_format(data, size, &sid);
    if (n >= 0) {
        FZ_CHECK(n >= 8 && (size_t)n <= size && (n - 8) % 4 == 0);
        check_sid(&sid);
    }
    asmb_secdesc sd;
    int rc = asmb__secdesc_parse(data, size, &sd);
    if (rc == 0) {
        if (sd.has_owner) check_sid(&sd.owner);
        if (sd.has_group) check_sid(&sd.group);
        FZ_CHECK(sd.nace == 0 || sd.has_dacl);
        FZ_CHECK((sd.nace == 0) == (sd.aces == NULL));
        FZ_CHECK(sd.nace <= size / 8);
        for (size_t i = 0; i < sd.nace; i++) {
            FZ_TERMINATED(sd.aces[i].sid.s, sizeof sd.aces[i].sid.s);
            if (sd.aces[i].sid.s[0]) check_sid(&sd.aces[i].sid);
        }
        asmb__secdesc_free(&sd);
        FZ_CHECK(sd.aces == NULL && sd.nace == 0);
    } else {
        FZ_CHECK(rc == ASMB_EPROTO || rc == ASMB_ENOMEM);
        FZ_CHECK(sd.aces == NULL); /* "out holds nothing to free" */
    }
    return 0;
}
