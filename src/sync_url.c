/* asmb_sync_connect_url: the URL's server and credentials, on the public
 * asmb_sync_connect. */
#include <stdio.h>

#include "asmb/asmb_sync.h"
#include "url.h"

ASMB_API asmb_sync *asmb_sync_connect_url(const char *url, const asmb_config *base,
                                          asmb_failure *err)
{
    asmb_url u;
    asmb_config cfg;
    int port, rc = asmb__url_connect_params(url, base, &u, &cfg, &port);
    if (rc) {
        if (err) {
            err->code = rc;
            err->ntstatus = 0;
            snprintf(err->message, sizeof err->message, "invalid smb:// URL: %s",
                     u.error ? u.error : asmb_strerror(rc));
        }
        return NULL;
    }
    asmb_sync *s = asmb_sync_connect(u.host, port, &cfg, err);
    asmb_url_clear(&u);
    return s;
}
