/* The libuv transport: DNS, TCP, one timer for every deadline, one idle
 * handle to deliver completions from the loop. The only code with sockets. */
#ifndef ASMB_LOOP_UV_TRANSPORT_H
#define ASMB_LOOP_UV_TRANSPORT_H
#include "../core/conn.h"

/* Binds c to loop (handles initialised, the transport holds a reference). */
int asmb__uv_attach(asmb_conn *c, uv_loop_t *loop);
/* Starts resolving host and connecting; 0 or a negative code. */
int asmb__uv_connect(asmb_conn *c, const char *host, int port);
/* The caller is gone and nothing is left to deliver: close the handles once
 * the socket is closed, then drop the transport's reference. */
void asmb__uv_release(asmb_conn *c);
#endif
