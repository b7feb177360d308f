/** \file asmb_uv.h
 * \brief The libuv transport: a connection driven by a uv_loop_t.
 *
 * The library's core knows no event loop; this header and src/loop/uv_transport.c
 * are the libuv glue (asmb_fd.h is the other transport). asmb.h includes this
 * header unless ASMB_NO_UV is defined.
 */
#ifndef ASMB_UV_H
#define ASMB_UV_H

#include "asmb_posix.h" /* before any system header: <uv.h> needs POSIX */
#include <stddef.h>
#if defined(__GLIBC__) && !defined(__USE_XOPEN2K)
#error "<uv.h> needs POSIX declarations: include <asmb/asmb.h> before any system header, or define _POSIX_C_SOURCE 200809L (or _GNU_SOURCE), or use -std=gnu11"
#endif
#include <uv.h>

#include "asmb.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A new, unconnected connection on loop. cfg (NULL = defaults) and handlers
 * are copied; arg is passed to every handler. NULL on bad arguments (no loop,
 * an invalid config: unknown dialect, min_dialect > max_dialect, signing or
 * encryption out of range: asmb_config_check says which and why) or out of
 * memory. The caller owns the result
 * until asmb_conn_free; use it from the loop's thread only. DNS goes through
 * uv_getaddrinfo, deadlines through one uv_timer_t; the memory goes once the
 * loop has closed the connection's handles (keep running uv_run after
 * asmb_conn_free, before uv_loop_close). */
ASMB_API asmb_conn *asmb_conn_new(uv_loop_t *loop, const asmb_config *cfg,
                                  const asmb_handlers *handlers, void *arg);

/* ---- from an smb:// URL (issue 14) ---- */
/** asmb_conn_new, then asmb_conn_connect to the URL's host and port (445
 * when it gives none, 139 with cfg->netbios): the URL's user, password and
 * domain (asmb_url_to_config) replace base's where the URL gives them; its
 * share and path are not used (asmb_url_parse them). base (NULL = defaults),
 * handlers and url are copied or read during the call only. NULL when the
 * URL does not parse (ASMB_EINVAL of asmb_url_parse), for asmb_conn_new's
 * reasons, or when connecting fails at once; otherwise the outcome arrives
 * through the handlers as after asmb_conn_connect, and the caller owns the
 * result until asmb_conn_free. */
ASMB_API asmb_conn *asmb_conn_new_from_url(uv_loop_t *loop, const char *url,
                                           const asmb_config *base,
                                           const asmb_handlers *handlers, void *arg);

#ifdef __cplusplus
}
#endif
#endif
