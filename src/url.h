/* What asmb_conn_new_from_url and asmb_sync_connect_url share. */
#ifndef ASMB_URL_INTERNAL_H
#define ASMB_URL_INTERNAL_H
#include "asmb/asmb_url.h"

/* Parses text into *u and fills *cfg (base, or the defaults when NULL, with
 * the URL's credentials; its strings are u's) and *port (the URL's, else 139
 * with NetBIOS, else 445). 0, or asmb_url_parse's code (u->error says why). */
int asmb__url_connect_params(const char *text, const asmb_config *base, asmb_url *u,
                             asmb_config *cfg, int *port);
#endif
