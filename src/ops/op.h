/* Shared pieces of the operations: argument checks and failure messages. */
#ifndef ASMB_OPS_OP_H
#define ASMB_OPS_OP_H
#include "../core/conn.h"
#include "../core/deferred.h"

/* Fails d for a server status: "STATUS_NAME: <what>". */
void asmb__op_fail_status(asmb_deferred *d, uint32_t status, const char *what);
/* Fails d for a library code (timeout, not connected, protocol...), with the
 * connection's reason when it ended: "timed out after 50 ms: echo". */
void asmb__op_fail_code(asmb_deferred *d, int code, unsigned timeout_ms, const char *what);
/* Starts an operation: checks readiness and makes its deferred. */
int asmb__op_begin(asmb_conn *c, asmb_deferred **out, asmb_deferred **d);

#endif
