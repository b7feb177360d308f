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
# any failure, 77 (skipped) when impacket is not installed, or when the library
# refuses impacket's authentication (it sends no SPNEGO mechListMIC): that is
# said on stdout.
set -u

passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  shift
  local l
  for l in "$@"; do echo "#   $l"; done
  if [ -s "$W/err" ]; then sed 's/^/#   stderr: /' "$W/err" | head -n 8; fi
  failed=$((failed + 1))
}
check() {
  local d=$1
  shift
  if "$@"; then ok "$d"; else not_ok "$d" "failed: $*" "asmb rc=$rc"; fi
}
a() {
  "$ASMB" -q --timeout 20 "$@" >"$W/out" 2>"$W/err" </dev/null
  rc=$?
}
err_has() { grep -qF -- "$1" "$W/err"; }
rc_is() { [ "$rc" = "$1" ]; }

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
if err_has "mechListMIC is missing"; then
  echo "the library refuses impacket's SESSION_SETUP (no SPNEGO mechListMIC, src/core/session.c): skipped"
  exit 77
fi
check "ls without --no-compound: exit 1, the hint names --no-compound" \
  eval 'rc_is 1 && err_has "signature" && err_has "needs --no-compound"'
a --no-compound ls "$URL"
check "ls --no-compound lists the file put in the share folder" \
  eval 'rc_is 0 && grep -q " hello\.txt$" "$W/out"'
a --no-compound get "$URL/hello.txt" -
check "get --no-compound" eval 'rc_is 0 && [ "$(cat "$W/out")" = "served by impacket" ]'
a get "$URL/hello.txt" -
check "get without --no-compound: exit 1, the hint" eval 'rc_is 1 && err_has "needs --no-compound"'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
