/* ex_security: an encrypted, signed session and a file's security descriptor.
 *   connect with encryption required -> print what was negotiated
 *   (asmb_conn_info) -> store a file -> get_security: owner, group, ACEs
 *   -> delete it -> close
 *
 *   ex_security HOST PORT [USER [PASSWORD [SHARE]]]   (SHARE defaults to "enc",
 *   the test Samba's share with "smb encrypt = required") */
#include "example.h"

typedef struct security {
    example ex;  /* first: conn, share, exit code */
    ex_mem text; /* the source: what is stored */
} security;

/* Encrypt the whole session, or fail authentication (auth_failed) when the
 * server can't; sign every message too. asmb offers SMB 3.1.1's signing
 * algorithms with AES-128-GMAC first (the fastest) and the server picks;
 * AES-GCM ciphers are preferred to CCM the same way (ciphers[] could reorder
 * them). Anything below SMB 3 can't encrypt. */
static void require_encryption(asmb_config *cfg)
{
    cfg->encryption = ASMB_REQUIRED;
    cfg->signing = ASMB_REQUIRED;
    cfg->min_dialect = ASMB_SMB3_00;
}

static void on_deleted(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    security *s = arg;
    asmb_conn_close(s->ex.conn);
}

static void on_security(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    security *s = arg;
    const asmb_security *sec = result; /* owned by d: valid during this call */
    printf("get_security asmb-ex-security.txt:\n  owner %s\n  group %s\n",
           sec->owner[0] ? sec->owner : "(none)", sec->group[0] ? sec->group : "(none)");
    if (!sec->has_dacl) printf("  no DACL: everyone has full access\n");
    for (size_t i = 0; i < sec->nace; i++) {
        const asmb_ace *a = &sec->aces[i];
        const char *type = a->type == 0 ? "allow" : a->type == 1 ? "deny" : "other";
        printf("  ACE %-5s %-45s mask 0x%08x flags 0x%02x\n", type, a->sid, a->mask, a->flags);
    }
    asmb_deferred *next = NULL;
    int rc = asmb_delete_files(s->ex.conn, s->ex.share, "asmb-ex-security.txt", 0, NULL, &next);
    ex_then(&s->ex, rc, next, on_deleted);
}

static void on_stored(asmb_deferred *d, const void *result, void *arg)
{
    (void)d;
    (void)result;
    security *s = arg;
    asmb_deferred *next = NULL;
    int rc = asmb_get_security(s->ex.conn, s->ex.share, "asmb-ex-security.txt", NULL, &next);
    ex_then(&s->ex, rc, next, on_security);
}

static void auth_ok(asmb_conn *c, void *arg)
{
    security *s = arg;
    asmb_conn_info info;
    asmb_conn_info_get(c, &info);
    printf("authenticated: dialect %s, signing %s (%s), encryption %s\n",
           asmb_dialect_name(info.dialect), info.signing ? "on" : "off",
           asmb_signing_name(info.signing_algorithm), asmb_cipher_name(info.cipher));
    asmb_source src = {ex_mem_read, &s->text, -1};
    asmb_deferred *d = NULL;
    int rc = asmb_store_file(c, s->ex.share, "asmb-ex-security.txt", &src, NULL, &d);
    ex_then(&s->ex, rc, d, on_stored);
}

int main(int argc, char **argv)
{
    security s = {.ex.configure = require_encryption};
    ex_mem_set(&s.text, "secret\n");
    return ex_run(argc, argv, "enc", auth_ok, &s.ex);
}
