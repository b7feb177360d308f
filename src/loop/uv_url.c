/* asmb_conn_new_from_url: the URL's server and credentials, on the public
 * asmb_conn_new and asmb_conn_connect. */
#include "asmb/asmb_uv.h"
#include "url.h"

ASMB_API asmb_conn *asmb_conn_new_from_url(uv_loop_t *loop, const char *url,
                                           const asmb_config *base,
                                           const asmb_handlers *handlers, void *arg)
{
    asmb_url u;
    asmb_config cfg;
    int port;
    if (asmb__url_connect_params(url, base, &u, &cfg, &port)) return NULL;
    asmb_conn *c = asmb_conn_new(loop, &cfg, handlers, arg); /* copies the credentials */
    if (c && asmb_conn_connect(c, u.host, port)) {
        asmb_conn_free(c); /* nothing fired: no handler will */
        c = NULL;
    }
    asmb_url_clear(&u);
    return c;
}
