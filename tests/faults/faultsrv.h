/* faultsrv: a scriptable misbehaving SMB2 server / fault-injecting proxy for tests.
 *
 * Runs on its own pthread (poll + non-blocking sockets, no libuv) and listens on
 * 127.0.0.1 at an ephemeral port. Several client connections are served
 * concurrently. Frames are direct-TCP frames: 1 type byte (0x00) + 24-bit
 * big-endian length + payload, read completely (up to 16 MiB + 3) before a rule
 * is applied. Frames of any other type (e.g. the NetBIOS keep-alive 0x85 with
 * length 0) pass unchanged and are not counted.
 *
 * Proxy (fs_start(port > 0)): every accepted connection is connected to
 * 127.0.0.1:port. Client->server bytes are forwarded unchanged; the rules
 * act on the server->client frames.
 *
 * Fake server (fs_start(0)): no upstream. The rules act on the client's
 * frames (the requests); "frame n" is the answer to request n, which is
 * nothing unless a rule says otherwise:
 *   FS_GARBAGE         answer with a frame of junk
 *   FS_TRUNCATE_CLOSE  send a header announcing arg + 60 payload bytes, then only
 *                      the first arg bytes (header included) of it, and close
 *   FS_CLOSE           close at once
 *   FS_STALL           never answer again (the connection stays open)
 *   other actions      no answer
 *
 * Frame numbers and command occurrences are 0-based and counted per
 * connection; connections are numbered 0, 1, ... in accept order. When several
 * rules match a frame, the first one added wins. Rules may be added at any time.
 * Set FAULTSRV_TRACE=1 in the environment to log every frame to stderr.
 */
#ifndef ASMB_TEST_FAULTSRV_H
#define ASMB_TEST_FAULTSRV_H

#include <stddef.h>

typedef struct faultsrv faultsrv;

typedef enum {
    FS_PASS,           /* forward unchanged (what happens without a rule) */
    FS_STALL,          /* from this frame on, forward nothing in either direction and
                          swallow all input; the connection stays open */
    FS_CLOSE,          /* close both sides instead of sending the frame */
    FS_GARBAGE,        /* replace the frame by arg junk payload bytes (0: 64) behind a
                          valid length header */
    FS_TRUNCATE_CLOSE, /* send the first arg bytes of the frame (the 4-byte header
                          included; at most its length - 1), then close both sides */
    FS_DROP,           /* drop this frame only */
    FS_CORRUPT         /* xor 0xFF into payload byte arg (the 4-byte header not counted;
                          past the end: the last byte) */
} fs_action;

#define FS_ANY_CONN (-1)

/* upstream_port > 0: proxy to 127.0.0.1:upstream_port; 0: fake server.
 * Returns NULL on failure (errno set). */
faultsrv *fs_start(int upstream_port);
int fs_port(const faultsrv *fs); /* the port to connect to */

/* Frame number frame_no of every connection. */
void fs_rule(faultsrv *fs, int frame_no, fs_action action, size_t arg);
/* The nth frame (0 = first) whose SMB2 header (payload offset 12) has this
 * command. Frames that do not start with an SMB2 header (0xFE 'S' 'M' 'B'),
 * e.g. encrypted (0xFD) or compressed (0xFC) ones, never match. An interim
 * (STATUS_PENDING) reply counts as an occurrence; a compound counts once, by
 * its first command. */
void fs_rule_cmd(faultsrv *fs, int smb2_command, int nth, fs_action action, size_t arg);
/* The same, for connection conn_no only (FS_ANY_CONN: all), e.g. to break the
 * first connection and let the reconnect through. */
void fs_rule_conn(faultsrv *fs, int conn_no, int frame_no, fs_action action, size_t arg);
void fs_rule_cmd_conn(faultsrv *fs, int conn_no, int smb2_command, int nth, fs_action action,
                      size_t arg);
void fs_clear_rules(faultsrv *fs);

/* Fake server: answer a NetBIOS SESSION REQUEST (type 0x81) with these bytes
 * (at most 8), e.g. a negative session response 83 00 00 01 82. */
void fs_nbt_reply(faultsrv *fs, const unsigned char *bytes, size_t len);

int fs_connections(faultsrv *fs); /* connections accepted so far */
int fs_frames(faultsrv *fs);      /* frames counted so far, all connections */

/* Closes every connection and the listener, joins the thread, frees. NULL is ok. */
void fs_stop(faultsrv *fs);

#endif
