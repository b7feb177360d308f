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
 *   FS_HEADER          answer with the bare 4-byte transport header arg, then nothing
 *   other actions      no answer
 *
 * Proxy only: FS_SWAP, FS_DUP, FS_DELAY, FS_INTERIM, FS_CREDITS, FS_SESSION,
 * FS_FLOOD edit or multiply the server's replies; fs_credit_window makes the
 * proxy play a server with a small credit window, and fs_credit_stats tells
 * whether the client ever sent beyond what it was granted (the proxy parses
 * the requests' SMB2 headers as they pass; encrypted frames are not seen).
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
    FS_CORRUPT,        /* xor 0xFF into payload byte arg (the 4-byte header not counted;
                          past the end: the last byte) */
    FS_HEADER,         /* send only the 4-byte transport header arg (big-endian: type byte,
                          24-bit length), then stall: e.g. 0x01000000 (16 MiB, which a
                          24-bit length can't say), 0 (a zero-length frame) */
    FS_SWAP,           /* hold this frame back and send it right after the next one */
    FS_DUP,            /* send the frame, then arg more copies of it (0: 1) */
    FS_DELAY,          /* send the frame arg ms later (later frames wait behind it) */
    FS_INTERIM,        /* first an interim STATUS_PENDING reply (MS-SMB2 3.3.4.2), then
                          arg ms later the frame, made asynchronous too (one message) */
    FS_CREDITS,        /* set CreditResponse of every message of the frame to arg */
    FS_SESSION,        /* xor arg into SessionId of every message of the frame */
    FS_FLOOD           /* first arg unsolicited messages (oplock breaks, MessageId
                          0xFFFFFFFFFFFFFFFF, 64 KiB each, MS-SMB2 2.2.23) with a NetBIOS
                          keep-alive after each, then the frame */
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

/* Proxy: from now on every occurrence of from in a server->client frame's
 * payload becomes to (both len bytes), before the rules act; each counts as a
 * hit. E.g. a name in a directory listing, as a hostile server would list it
 * (a signed reply then fails its check: the client must not sign). At most
 * FS_REPLACE_MAX; 0, or -1 when full or out of memory. */
#define FS_REPLACE_MAX 8
int fs_replace(faultsrv *fs, const void *from, const void *to, size_t len);

/* Fake server: answer a NetBIOS SESSION REQUEST (type 0x81) with these bytes
 * (at most 8), e.g. a negative session response 83 00 00 01 82. */
void fs_nbt_reply(faultsrv *fs, const unsigned char *bytes, size_t len);

/* Proxy: from now on the server keeps the client's credits (unused grants
 * plus requests outstanding) at most window, as a server's credit algorithm
 * would (MS-SMB2 3.3.1.2): every unsigned reply's CreditResponse is
 * rewritten, never leaving the client with none; signed replies keep theirs
 * (their signature covers it). 0: Samba's grants pass unchanged. */
void fs_credit_window(faultsrv *fs, unsigned window);
typedef struct fs_credit_stats {
    long requests;            /* requests seen (CANCEL excluded) */
    long violations;          /* requests beyond the credits granted so far (3.3.5.2.3) */
    unsigned max_outstanding; /* most credits charged by requests awaiting replies */
} fs_credit_stats;
void fs_credit_stats_get(faultsrv *fs, fs_credit_stats *out); /* all connections */
void fs_credit_stats_reset_max(faultsrv *fs);                 /* max_outstanding = 0 */

/* The frames a rule could act on, in order, for one connection (the first
 * FS_LOG_MAX frames of all connections are kept): what a test needs to aim
 * a rule at every reply an operation gets. Returns how many were copied. */
typedef struct fs_frame_info {
    int frame, cmd, nth; /* cmd -1: not an SMB2 header (encrypted, junk) */
    size_t len;          /* payload bytes (the 4-byte header not counted) */
} fs_frame_info;
#define FS_LOG_MAX 4096
int fs_frame_log(faultsrv *fs, int conn_no, fs_frame_info *out, int max);

int fs_hits(faultsrv *fs);        /* frames a rule other than FS_PASS acted on */
int fs_connections(faultsrv *fs); /* connections accepted so far */
int fs_frames(faultsrv *fs);      /* frames counted so far, all connections */

/* Closes every connection and the listener, joins the thread, frees. NULL is ok. */
void fs_stop(faultsrv *fs);

#endif
