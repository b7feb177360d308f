#!/usr/bin/env python3
"""Seed corpus tools for the asmb fuzz harnesses (used by record-seeds.sh).

  seedtool.py proxy --upstream PORT --out DIR --label NAME [--port-file F]
      A recording TCP proxy on 127.0.0.1 (ephemeral port, written to F and
      stdout). Every connection is forwarded to 127.0.0.1:PORT unchanged; the
      server->client bytes of connection n are saved as DIR/NAME-n.s2c when it
      ends. Stops on SIGTERM/SIGINT (after saving what it has).

  seedtool.py split --in DIR --out DIR
      Splits every *.s2c stream into per-harness seeds: each SMB2 message
      (compounds split) goes to hdr/ and to its command's harness; security
      buffers to spnego/, NTLM CHALLENGE tokens to ntlm_challenge/, QUERY_INFO
      buffers to secdesc/, IOCTL output to ioctl/ (snapshot arrays), dcerpc/ and srvsvc/ (stubs), names from
      directory listings to utf/. Whole streams go to engine/ (with the option
      byte of fuzz/engine_harness.h) and, for 3.1.1 ones, to engine_ss/ without
      the NEGOTIATE response. File names are content hashes.
"""
import argparse
import hashlib
import os
import signal
import socket
import struct
import sys
import threading

CMDS = {0: "negotiate", 1: "session_setup", 2: "logoff", 3: "tree_connect",
        4: "tree_disconnect", 5: "create", 6: "close", 7: "flush", 8: "read",
        9: "write", 10: "lock", 11: "ioctl", 12: "cancel", 13: "echo",
        14: "query_directory", 15: "change_notify", 16: "query_info",
        17: "set_info", 18: "oplock_break"}
# command -> harnesses fed with the whole message
HARNESS_OF = {0: ["negotiate"], 1: ["session_setup"], 3: ["tree_connect"],
              2: ["tree_connect"], 4: ["tree_connect"], 13: ["tree_connect"],
              5: ["create"], 6: ["close"], 8: ["read"], 9: ["write"],
              11: ["ioctl"], 14: ["query_directory"], 16: ["query_info"],
              17: ["set_info"]}

# option byte of engine_harness.h
OPT_FIXUP, OPT_ANON = 0x04, 0x08


# ---------------------------------------------------------------- proxy
def proxy(args):
    os.makedirs(args.out, exist_ok=True)
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    port = lst.getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    print(port, flush=True)
    streams = {}
    lock = threading.Lock()

    def save(n):
        with lock:
            data = streams.pop(n, None)
        if data:
            with open(os.path.join(args.out, "%s-%d.s2c" % (args.label, n)), "wb") as f:
                f.write(bytes(data))

    def pump(src, dst, n, record):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                if record:
                    with lock:
                        streams[n].extend(b)
                dst.sendall(b)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def serve(cli, n):
        up = socket.create_connection(("127.0.0.1", args.upstream))
        t1 = threading.Thread(target=pump, args=(cli, up, n, False), daemon=True)
        t2 = threading.Thread(target=pump, args=(up, cli, n, True), daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        cli.close()
        up.close()
        save(n)

    def stop(*_):
        for n in list(streams):
            save(n)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    n = 0
    while True:
        cli, _ = lst.accept()
        with lock:
            streams[n] = bytearray()
        threading.Thread(target=serve, args=(cli, n), daemon=True).start()
        n += 1


# ---------------------------------------------------------------- split
def frames(stream):
    """direct-TCP frames: (type, payload)"""
    pos = 0
    while pos + 4 <= len(stream):
        t = stream[pos]
        n = int.from_bytes(stream[pos + 1:pos + 4], "big")
        yield t, stream[pos + 4:pos + 4 + n]
        pos += 4 + n


def messages(payload):
    """SMB2 messages of a frame (compounds split)"""
    while len(payload) >= 64 and payload[:4] == b"\xfeSMB":
        nxt = struct.unpack_from("<I", payload, 20)[0]
        if nxt and 64 <= nxt < len(payload):
            yield payload[:nxt]
            payload = payload[nxt:]
        else:
            yield payload
            return


def buffer_at(msg, off_at, off_fmt, len_at, len_fmt):
    body = msg[64:]
    try:
        off = struct.unpack_from(off_fmt, body, off_at)[0]
        n = struct.unpack_from(len_fmt, body, len_at)[0]
    except struct.error:
        return None
    if off < 64 or off + n > len(msg) or n == 0:
        return None
    return msg[off:off + n]


def dir_names(buf):
    pos = 0
    while pos + 104 <= len(buf):
        nxt, = struct.unpack_from("<I", buf, pos)
        nlen, = struct.unpack_from("<I", buf, pos + 60)
        yield buf[pos + 104:pos + 104 + nlen]
        if not nxt:
            return
        pos += nxt


class Out:
    def __init__(self, root):
        self.root = root
        self.count = {}

    def put(self, harness, data):
        if not data:
            return
        d = os.path.join(self.root, harness)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
        self.count[harness] = self.count.get(harness, 0) + 1


def patched(stream, cmd_want, field, bits):
    """A copy of stream where every successful reply to cmd_want gets bits
    or'ed into the 16/32-bit field at body offset field (fix-up mode seeds:
    SESSION_SETUP SessionFlags ENCRYPT_DATA, TREE_CONNECT ShareFlags
    ENCRYPT_DATA, so that the harness seals the replies that follow)."""
    out = bytearray(stream)
    pos = 0
    while pos + 4 <= len(out):
        n = int.from_bytes(out[pos + 1:pos + 4], "big")
        p = pos + 4
        end = p + n
        while p + 64 <= end and out[p:p + 4] == b"\xfeSMB":
            cmd, = struct.unpack_from("<H", out, p + 12)
            st, = struct.unpack_from("<I", out, p + 8)
            if cmd == cmd_want and st == 0 and p + 64 + field + 4 <= end:
                fmt = "<H" if bits < 0x10000 else "<I"
                v, = struct.unpack_from(fmt, out, p + 64 + field)
                struct.pack_into(fmt, out, p + 64 + field, v | bits)
            nxt, = struct.unpack_from("<I", out, p + 20)
            if not nxt:
                break
            p += nxt
        pos = end
    return bytes(out)


def split(args):
    out = Out(args.out)
    for name in sorted(os.listdir(args.inp)):
        if not name.endswith(".s2c"):
            continue
        stream = open(os.path.join(args.inp, name), "rb").read()
        anon = "-anon" in name or "-guest" in name
        dialect = None
        first_len = None
        for t, payload in frames(stream):
            if first_len is None:
                first_len = 4 + len(payload)
            if t != 0:
                continue
            if payload[:4] == b"\xfdSMB":
                out.put("hdr", payload)  # a transform frame: the engine sees it first
                continue
            for msg in messages(payload):
                out.put("hdr", msg)
                cmd, = struct.unpack_from("<H", msg, 12)
                for h in HARNESS_OF.get(cmd, []):
                    out.put(h, msg)
                if cmd == 0 and len(msg) >= 70:
                    dialect, = struct.unpack_from("<H", msg, 68)
                if cmd == 1:
                    blob = buffer_at(msg, 4, "<H", 6, "<H")
                    if blob:
                        out.put("spnego", blob)
                        i = blob.find(b"NTLMSSP\0\x02\0\0\0")
                        if i >= 0:
                            out.put("ntlm_challenge", blob[i:])
                if cmd == 16:
                    buf = buffer_at(msg, 2, "<H", 4, "<I")
                    if buf and buf[0] == 1 and len(buf) >= 20:
                        out.put("secdesc", buf)
                if cmd == 14:
                    buf = buffer_at(msg, 2, "<H", 4, "<I")
                    if buf:
                        for nm in dir_names(buf):
                            out.put("utf", nm)
                            try:
                                out.put("utf", nm.decode("utf-16-le").encode("utf-8"))
                            except UnicodeDecodeError:
                                pass
                if cmd == 11:
                    buf = buffer_at(msg, 32, "<I", 36, "<I")
                    if buf:
                        if len(buf) >= 12 and buf[12:16] == b"@\0G\0":
                            out.put("ioctl", buf)  # a SRV_SNAPSHOT_ARRAY
                        elif buf[:1] == b"\x05":
                            out.put("dcerpc", buf)
                            if len(buf) > 24 and buf[2] == 2:  # a RESPONSE: its stub
                                out.put("srvsvc", buf[24:])
        # whole streams for the engine harnesses
        opt = OPT_ANON if anon else OPT_FIXUP
        variants = [stream]
        if not anon and name.startswith("asmb-") and dialect and dialect >= 0x0300:
            variants.append(patched(stream, 1, 2, 0x4))      # the session encrypts
            variants.append(patched(stream, 3, 4, 0x8000))   # the share encrypts
        for v in variants:
            out.put("engine", bytes([opt]) + v)
            if dialect == 0x0311 and first_len:
                out.put("engine_ss", bytes([opt]) + v[first_len:])
    # a few hand-made strings: every UTF-8 length, a surrogate pair, the
    # case-mapping ranges of asmb_utf8_to_utf16le_upper
    for t in ["a", "Ab\u00e9\u00ff", "\u0130\u0131\u017f\u0149", "\u03c2\u03b1\u0450\u0430",
              "\u20ac\uffff", "\U0001f600x", "\u0000mid"]:
        out.put("utf", t.encode("utf-8"))
        out.put("utf", t.encode("utf-16-le"))
    for h in sorted(out.count):
        print("%-18s %d" % (h, out.count[h]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("proxy")
    p.add_argument("--upstream", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--port-file")
    s = sub.add_parser("split")
    s.add_argument("--in", dest="inp", required=True)
    s.add_argument("--out", required=True)
    a = ap.parse_args()
    proxy(a) if a.cmd == "proxy" else split(a)


if __name__ == "__main__":
    sys.exit(main())
