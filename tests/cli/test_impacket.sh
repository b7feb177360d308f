#!/usr/bin/env bash
# Checks are written as: check DESCRIPTION eval '...' (expanded when evaluated).
# shellcheck disable=SC2016
#
# test_impacket.sh ASMB - asmb against impacket's SMB server (Debian
# python3-impacket, smbserver.py -smb2support), started here on 127.0.0.1 at a
# free port with its own share folder and user, for at most 120 s, killed at
# the end. impacket signs each compounded reply before it sets NextCommand and
# the padding, so a client that checks signatures must refuse those replies:
# without --no-compound a command fails with a hint naming the option, with it
# ls and get work.
#
# Prints "ok - ..." / "not ok - ..." lines, then "N passed, N failed"; exits 1 on
# any failure, 77 (skipped) when impacket is not installed (said on stdout).
set -u

. "$(dirname "$0")/lib.sh"
ASMB_A_OPTS="--timeout 20"

ASMB=${1:?usage: test_impacket.sh ASMB}
case $ASMB in /*) ;; *) ASMB=$PWD/$ASMB ;; esac

# impacket's python (Debian installs it for /usr/bin/python3, which may not be
# the python3 first in PATH) and its smbserver.py.
PY=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import impacket.smbserver' 2>/dev/null; then PY=$p; break; fi
done
SRV=/usr/share/doc/python3-impacket/examples/smbserver.py
[ -f "$SRV" ] || SRV=$(command -v impacket-smbserver || command -v smbserver.py || true)
if [ -z "$PY" ] || [ -z "$SRV" ]; then
  echo "impacket is not installed (tests/samba/install-deps.sh installs python3-impacket): skipped"
  exit 77
fi

W=$(mktemp -d)
SPID=""
cleanup() {
  [ -z "$SPID" ] || { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
  rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
rc=0
mkdir -p "$W/share"
printf 'served by impacket\n' >"$W/share/hello.txt"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
timeout 120 "$PY" "$SRV" -smb2support -ip 127.0.0.1 -port "$PORT" -username alice \
  -password 'imp@cket' SHARE "$W/share" >"$W/server.log" 2>&1 &
SPID=$!
for _ in $(seq 100); do
  "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
    "$PORT" 2>/dev/null && break
  sleep 0.1
done
URL="smb://alice:imp%40cket@127.0.0.1:$PORT/SHARE"

a ls "$URL"
# impacket sends no SPNEGO mechListMIC: its signed final SESSION_SETUP reply
# is what proves the exchange (src/core/session.c), so the login works.
check "ls without --no-compound: exit 1, the library names the knob, the CLI hints" \
  eval 'rc_is 1 && err_has "compounded reply" && err_has "no_compound" && err_has "needs --no-compound"'
a --no-compound ls "$URL"
check "ls --no-compound lists the file put in the share folder" \
  eval 'rc_is 0 && grep -q " hello\.txt$" "$W/out"'
a --no-compound get "$URL/hello.txt" -
check "get --no-compound" eval 'rc_is 0 && [ "$(cat "$W/out")" = "served by impacket" ]'
a get "$URL/hello.txt" -
check "get without --no-compound: exit 1, the hint" eval 'rc_is 1 && err_has "needs --no-compound"'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
