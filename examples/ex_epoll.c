/* ex_epoll: an asmb connection in an epoll loop (asmb_fd.h). The socket can
 * change (the next address of a host, or closed), so the loop keeps its
 * registration in step with asmb_fd_socket and asmb_fd_events. The SMB flow
 * is in fd_flow.h.
 *   ex_epoll HOST PORT USER PASSWORD SHARE */
#include <sys/epoll.h>
#include <unistd.h>

#include "fd_flow.h"

int main(int argc, char **argv)
{
    flow s;
    int rc = flow_start(&s, argc, argv);
    if (rc) return rc;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return 4;
    int reg_fd = -1;
    uint32_t reg_ev = 0;
    while (!flow_done(&s)) {
        int fd = asmb_fd_socket(s.conn), want = asmb_fd_events(s.conn);
        uint32_t ev = (want & ASMB_FD_READ ? EPOLLIN : 0) | (want & ASMB_FD_WRITE ? EPOLLOUT : 0);
        if (fd != reg_fd) { /* a closed fd left the epoll set by itself */
            if (reg_fd >= 0) epoll_ctl(ep, EPOLL_CTL_DEL, reg_fd, NULL);
            reg_fd = fd;
            reg_ev = ev;
            struct epoll_event e = {.events = ev, .data.fd = fd};
            if (fd >= 0) epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
        } else if (fd >= 0 && ev != reg_ev) {
            reg_ev = ev;
            struct epoll_event e = {.events = ev, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
        }
        struct epoll_event got;
        int n = epoll_wait(ep, &got, 1, asmb_fd_timeout(s.conn));
        int ready = 0;
        if (n == 1) {
            if (got.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ready |= ASMB_FD_READ;
            if (got.events & (EPOLLOUT | EPOLLERR)) ready |= ASMB_FD_WRITE;
        }
        asmb_fd_service(s.conn, ready);
    }
    asmb_conn_free(s.conn);
    close(ep);
    return s.exit_code;
}
