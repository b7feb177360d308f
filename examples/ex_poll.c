/* ex_poll: an asmb connection in a plain poll() loop (asmb_fd.h), no libuv
 * loop anywhere. The SMB flow is in fd_flow.h.
 *   ex_poll HOST PORT USER PASSWORD SHARE */
#include <poll.h>

#include "fd_flow.h"

int main(int argc, char **argv)
{
    flow s;
    int rc = flow_start(&s, argc, argv);
    if (rc) return rc;
    while (!flow_done(&s)) {
        int want = asmb_fd_events(s.conn);
        struct pollfd p = {asmb_fd_socket(s.conn), 0, 0};
        if (want & ASMB_FD_READ) p.events |= POLLIN;
        if (want & ASMB_FD_WRITE) p.events |= POLLOUT;
        /* A negative fd is ignored by poll(): then it only waits for the timeout. */
        int n = poll(&p, 1, asmb_fd_timeout(s.conn));
        if (n < 0) continue; /* EINTR */
        int ready = 0;
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) ready |= ASMB_FD_READ;
        if (p.revents & (POLLOUT | POLLERR)) ready |= ASMB_FD_WRITE;
        asmb_fd_service(s.conn, ready);
    }
    asmb_conn_free(s.conn);
    return s.exit_code;
}
