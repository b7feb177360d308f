/* ex_libevent: an asmb connection on a libevent event_base (asmb_fd.h). One
 * event for the socket and one timer; after each service call they are
 * re-armed from what the connection wants. The SMB flow is in fd_flow.h.
 *   ex_libevent HOST PORT USER PASSWORD SHARE */
#include <event2/event.h>

#include "fd_flow.h"

typedef struct driver {
    flow s;
    struct event_base *base;
    struct event *io, *timer;
    int io_fd;
    short io_ev;
} driver;

static void on_event(evutil_socket_t fd, short what, void *arg);

/* Re-arms the socket event and the timer after every service call. */
static void rearm(driver *d)
{
    if (flow_done(&d->s)) {
        event_base_loopbreak(d->base);
        return;
    }
    int fd = asmb_fd_socket(d->s.conn), want = asmb_fd_events(d->s.conn);
    short ev = (short)((want & ASMB_FD_READ ? EV_READ : 0) | (want & ASMB_FD_WRITE ? EV_WRITE : 0));
    if (fd != d->io_fd || ev != d->io_ev) {
        if (d->io) event_free(d->io);
        d->io = fd >= 0 && ev ? event_new(d->base, fd, ev | EV_PERSIST, on_event, d) : NULL;
        if (d->io) event_add(d->io, NULL);
        d->io_fd = fd;
        d->io_ev = ev;
    }
    int ms = asmb_fd_timeout(d->s.conn);
    if (ms < 0) {
        evtimer_del(d->timer);
    } else {
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        evtimer_add(d->timer, &tv);
    }
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    driver *d = arg;
    int ready = (what & EV_READ ? ASMB_FD_READ : 0) | (what & EV_WRITE ? ASMB_FD_WRITE : 0);
    asmb_fd_service(d->s.conn, ready); /* 0 for the timer */
    rearm(d);
}

int main(int argc, char **argv)
{
    driver d = {.io_fd = -1};
    int rc = flow_start(&d.s, argc, argv);
    if (rc) return rc;
    d.base = event_base_new();
    d.timer = evtimer_new(d.base, on_event, &d);
    rearm(&d);
    event_base_dispatch(d.base);
    if (d.io) event_free(d.io);
    event_free(d.timer);
    event_base_free(d.base);
    asmb_conn_free(d.s.conn);
    return d.s.exit_code;
}
