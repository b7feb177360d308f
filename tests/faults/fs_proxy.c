/* fs_proxy: faultsrv as a standalone proxy, for shell tests.
 *
 *   fs_proxy UPSTREAM_PORT [-n FROM TO]...
 *
 * Proxies 127.0.0.1:PORT (e.g. the test Samba); -n rewrites every occurrence
 * of the name FROM (UTF-8, encoded as the UTF-16LE of SMB2) in the server's
 * replies into TO, of the same UTF-16 length (fs_replace). Prints the port to
 * connect to on a line of its own, then runs until SIGTERM or SIGINT. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faultsrv.h"

/* UTF-8 (BMP only: enough for test names) into UTF-16LE; the byte count, or
 * 0 when s is not that. */
static size_t to_utf16(const char *s, unsigned char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (*p) {
        unsigned c;
        if (*p < 0x80) c = *p++;
        else if ((*p & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80)
            c = (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu), p += 2;
        else if ((*p & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
            c = (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu), p += 3;
        else return 0;
        if (n + 2 > cap) return 0;
        out[n++] = (unsigned char)c;
        out[n++] = (unsigned char)(c >> 8);
    }
    return n;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 0;
    if (port <= 0 || port > 65535 || (argc - 2) % 3) {
        fprintf(stderr, "usage: fs_proxy UPSTREAM_PORT [-n FROM TO]...\n");
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the proxy thread inherits it: sigwait gets them */
    faultsrv *fs = fs_start(port);
    if (!fs) {
        perror("fs_proxy: fs_start");
        return 1;
    }
    for (int i = 2; i < argc; i += 3) {
        unsigned char from[512], to[512];
        size_t fl = to_utf16(argv[i + 1], from, sizeof from);
        size_t tl = to_utf16(argv[i + 2], to, sizeof to);
        if (strcmp(argv[i], "-n") || !fl || fl != tl || fs_replace(fs, from, to, fl)) {
            fprintf(stderr, "fs_proxy: bad rewrite '%s' -> '%s' (same UTF-16 length needed)\n",
                    argv[i + 1], argv[i + 2]);
            fs_stop(fs);
            return 2;
        }
    }
    printf("%d\n", fs_port(fs));
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    fs_stop(fs);
    return 0;
}
