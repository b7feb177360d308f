/* The libuv transport: DNS, TCP, one timer for every deadline, one idle
 * handle to deliver completions from the loop. */
#ifndef ASMB_LOOP_UV_TRANSPORT_H
#define ASMB_LOOP_UV_TRANSPORT_H
#include "../core/transport.h"

/* Binds c to loop (handles initialised, the transport holds a reference). */
int asmb__uv_attach(asmb_conn *c, uv_loop_t *loop);
#endif
