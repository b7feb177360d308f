#include "op.h"

void asmb__op_fail_status(asmb_deferred *d, uint32_t status, const char *what)
{
    const char *name = asmb_ntstatus_name(status);
    if (name)
        asmb__deferred_fail(d, ASMB_EFAILURE, status, "%s: %s", name, what);
    else
        asmb__deferred_fail(d, ASMB_EFAILURE, status, "NTSTATUS 0x%08x: %s", status, what);
}

void asmb__op_fail_code(asmb_deferred *d, int code, unsigned timeout_ms, const char *what)
{
    asmb_conn *c = d->conn;
    if (code == ASMB_ETIMEDOUT)
        asmb__deferred_fail(d, code, 0, "timed out after %u ms: %s", timeout_ms, what);
    else if (c->state == ASMB_ST_DEAD)
        asmb__deferred_fail(d, code, 0, "%s (%s): %s", asmb_strerror(code),
                            c->disc_failure.message, what);
    else
        asmb__deferred_fail(d, code, 0, "%s: %s", asmb_strerror(code), what);
}

int asmb__op_begin(asmb_conn *c, asmb_deferred **out, asmb_deferred **d)
{
    if (!c || !out) return ASMB_EINVAL;
    int rc = asmb__conn_check_ready(c);
    if (rc) return rc;
    asmb__conn_clock(c); /* deadlines count from now, not from the last loop turn */
    *d = asmb__deferred_new(c);
    return *d ? 0 : ASMB_ENOMEM;
}
