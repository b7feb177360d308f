#!/usr/bin/env bash
# test_messages.sh ASMB - the messages and exit statuses of failures that name what was wrong
# (issue 14): a peer that is not an SMB server (exit 4), a path that is not UTF-8 (exit 2), a
# refused connection (exit 4, said once).
#
#   tests/samba/samba.sh run -- tests/cli/test_messages.sh /path/to/asmb
#
# Needs python3 (the stand-in HTTP server) and the ASMB_TEST_* variables samba.sh exports.
# Prints "ok - ..." / "not ok - ..." per check; exits 1 on any failure, 77 without python3.
set -u
ASMB=$1
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
W=$(mktemp -d)
LPID=
trap '[ -n "$LPID" ] && kill "$LPID" 2>/dev/null; rm -rf "$W"' EXIT
passed=0 failed=0
check() {
  local d=$1
  shift
  if "$@"; then
    echo "ok - $d"
    passed=$((passed + 1))
  else
    echo "not ok - $d (rc=$rc)"
    sed 's/^/#   stderr: /' "$W/err" | head -n 5
    failed=$((failed + 1))
  fi
}
a() {
  "$ASMB" -q "$@" >"$W/out" 2>"$W/err" </dev/null
  rc=$?
}
err_has() { grep -qF -- "$1" "$W/err"; }
lines() { [ "$(wc -l <"$W/err")" -eq "$1" ]; }

# An HTTP server on the port: reads the request, answers 400, closes (as nginx does).
python3 - "$W/port" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
for _ in range(2):
    c, _ = s.accept()
    c.settimeout(5)
    try:
        c.recv(4096)
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.shutdown(socket.SHUT_WR)
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
PY
LPID=$!
for _ in $(seq 50); do [ -s "$W/port" ] && break; sleep 0.1; done
HP=$(cat "$W/port")

a -N ls "smb://127.0.0.1:$HP/share/"
check "HTTP server: exit 4" eval '[ "$rc" = 4 ]'
check "HTTP server: 'not an SMB server', what it answered, said once" \
  eval 'err_has "asmb: not an SMB server: 127.0.0.1 answered \"HTTP/1.1 400 Bad Request\"" && lines 1'
a -N echo "smb://127.0.0.1:$HP"
check "HTTP server, echo: exit 4, same message" eval '[ "$rc" = 4 ] && err_has "not an SMB server"'

# A port nobody listens on (the HTTP stand-in's, once it is gone): refused, said once.
wait "$LPID" 2>/dev/null
LPID=
a -N ls "smb://127.0.0.1:$HP/share/"
check "refused: exit 4, the address, one line" \
  eval '[ "$rc" = 4 ] && err_has "127.0.0.1:$HP" && err_has "refused" && lines 1'

if [ -n "${ASMB_TEST_HOST:-}" ]; then
  URL="smb://$ASMB_TEST_USER:$ASMB_TEST_PASS@$ASMB_TEST_HOST:$ASMB_TEST_PORT/share"
  a ls "$URL/docs/%E2%82x"
  check "path not UTF-8: exit 2" eval '[ "$rc" = 2 ]'
  # The path as the library got it (the URL's, without the share), the byte counted from 1.
  check "path not UTF-8: which byte, why, the path" \
    eval 'err_has "asmb: path is not valid UTF-8 at byte 6 (a truncated sequence): docs/\\xE2\\x82x"'
  a stat "$URL/a%FF.txt"
  check "stat, path not UTF-8: exit 2, the byte" \
    eval '[ "$rc" = 2 ] && err_has "path is not valid UTF-8 at byte 2 (a byte that never appears in UTF-8)"'
else
  echo "ok - path not UTF-8 # SKIP no test server"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
