#!/usr/bin/env bash
# Checks are written as: check DESCRIPTION eval '...' (expanded when evaluated).
# shellcheck disable=SC2016
#
# test_manners.sh ASMB - how the asmb tool behaves when things go wrong or
# take long: Ctrl-C (SIGINT) during get and put, a full local disk, mkdir -p,
# --no-compound.
#
#   tests/samba/samba.sh run -- tests/cli/test_manners.sh /path/to/asmb
#
# Transfers to interrupt go through tests/cli/throttle.py (a slow TCP path to
# the test Samba); the full disk is a 1 MiB tmpfs mounted here (skipped when
# mount is not allowed). Prints "ok - ..." / "not ok - ..." lines, then
# "N passed, N failed"; exits 1 on any failure, 77 (skipped) without python3.
set -u

. "$(dirname "$0")/lib.sh"

ASMB=${1:?usage: test_manners.sh ASMB (run through tests/samba/samba.sh run)}
: "${ASMB_TEST_PORT:?ASMB_TEST_* missing: run through tests/samba/samba.sh run}"
command -v python3 >/dev/null || { echo "needs python3: skipped"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)

W=$(mktemp -d)
PIDS=() MOUNTED=""
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -z "$MOUNTED" ] || umount "$MOUNTED"
  rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
rc=0
H=$ASMB_TEST_HOST P=$ASMB_TEST_PORT U=$ASMB_TEST_USER PW=$ASMB_TEST_PASS
S=$ASMB_TEST_DIR/share
URL="smb://$U:$PW@$H:$P/share"
unset ASMB_PASSWORD

# ------------------------------------------------------------------ Ctrl-C
# A slow path: 2 MB/s each way, so that 32 MiB take ~16 s.
python3 "$HERE/throttle.py" "$P" 2000000 >"$W/throttle.port" 2>"$W/throttle.err" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$W/throttle.port" ] && break; sleep 0.1; done
SLOW="smb://$U:$PW@127.0.0.1:$(cat "$W/throttle.port")/share"
head -c 33554432 /dev/urandom >"$S/big1.bin"
cp "$S/big1.bin" "$S/big2.bin"
cp "$S/big1.bin" "$W/up.bin"

# interrupt_when COND ARGS...: runs asmb ARGS in the background with SIGINT at its
# default disposition (as from a terminal), sends SIGINT once COND (a shell
# test) holds, waits; status in $rc, stderr in $W/err. rc=124 when COND never held.
interrupt_when() {
  local cond=$1 pid i
  shift
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$ASMB" -q "$@" >"$W/out" 2>"$W/err" </dev/null &
  pid=$!
  for i in $(seq 200); do eval "$cond" && break; sleep 0.1; done
  if eval "$cond"; then
    kill -INT "$pid"
    wait "$pid"
    rc=$?
  else
    kill "$pid"
    wait "$pid"
    rc=124
  fi
}
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

mkdir -p "$W/int1" "$W/int2" "$W/int3"
interrupt_when '[ "$(size_of "$W/int1/big1.bin")" -gt 0 ]' --debug=trace get "$SLOW/big1.bin" "$W/int1/big1.bin"
check "get, Ctrl-C: exit 130, the partial file removed, what happened on stderr" \
  eval 'rc_is 130 && [ ! -e "$W/int1/big1.bin" ] && err_has "interrupted: download of" && err_has "partial file removed"'
check "get, Ctrl-C: the session is closed politely (TREE_DISCONNECT, LOGOFF)" \
  eval 'err_has "send TREE_DISCONNECT" && err_has "send LOGOFF"'

interrupt_when '[ "$(size_of "$W/int2/big1.bin")" -gt 0 ]' get --keep-partial "$SLOW/big1.bin" "$W/int2/big1.bin"
check "get --keep-partial, Ctrl-C: exit 130, the partial file kept" \
  eval 'rc_is 130 && [ "$(size_of "$W/int2/big1.bin")" -gt 0 ] && [ "$(size_of "$W/int2/big1.bin")" -lt 33554432 ] && err_has "partial file kept"'

interrupt_when '[ "$(size_of "$W/int3/big1.bin")" -gt 0 ] && [ "$(size_of "$W/int3/big2.bin")" -gt 0 ]' \
  get -j 2 "$SLOW/big1.bin" "$SLOW/big2.bin" "$W/int3"
check "get of several files, Ctrl-C: exit 130, no partial file left" \
  eval 'rc_is 130 && [ -z "$(ls -A "$W/int3")" ] && err_has "interrupted"'

interrupt_when '[ -e "$S/upint.bin" ] && [ "$(size_of "$S/upint.bin")" -gt 0 ]' put "$W/up.bin" "$SLOW/upint.bin"
check "put, Ctrl-C: exit 130, says the remote file is incomplete" \
  eval 'rc_is 130 && err_has "interrupted: upload to" && err_has "incomplete"'

mkdir -p "$W/upd"
cp "$W/up.bin" "$W/upd/u1.bin" && cp "$W/up.bin" "$W/upd/u2.bin"
a mkdir "$URL/upint"
interrupt_when '[ "$(size_of "$S/upint/u1.bin")" -gt 0 ]' put -j 2 "$W/upd/u1.bin" "$W/upd/u2.bin" "$SLOW/upint/"
check "put of several files, Ctrl-C: exit 130" eval 'rc_is 130 && err_has "interrupted"'
kill "${PIDS[0]}" 2>/dev/null

# ------------------------------------------------------------------ full local disk
mkdir -p "$W/full"
if mount -t tmpfs -o size=1m tmpfs "$W/full" 2>/dev/null; then
  MOUNTED=$W/full
  head -c 300000 /dev/urandom >"$S/fa.bin"
  head -c 300000 /dev/urandom >"$S/fb.bin"
  head -c 3000000 /dev/urandom >"$S/fc.bin"
  a get "$URL/fc.bin" "$W/full/fc.bin"
  check "full disk, one file: exit 1, ENOSPC said, no partial file" \
    eval 'rc_is 1 && err_has "No space left" && [ ! -e "$W/full/fc.bin" ]'
  "$ASMB" get -j 1 "$URL/fa.bin" "$URL/fb.bin" "$URL/fc.bin" "$W/full" </dev/null >"$W/out" 2>"$W/err"
  rc=$?
  check "full disk, several files: the ones that fit arrive, the other leaves nothing" \
    eval 'rc_is 1 && [ "$(ls "$W/full" | tr "\n" " ")" = "fa.bin fb.bin " ] && cmp -s "$S/fa.bin" "$W/full/fa.bin" && cmp -s "$S/fb.bin" "$W/full/fb.bin"'
  check "full disk, several files: the summary counts what was written" \
    eval 'grep -qE "^3 files \(1 failed\), 600000 bytes in " "$W/err"'
  head -c 2000000 /dev/zero >"$W/full/filler" 2>/dev/null
  a get "$URL/fa.bin" "$W/full/fa2.bin"
  check "disk already full: no empty file left" eval 'rc_is 1 && [ ! -e "$W/full/fa2.bin" ]'
  a get --keep-partial "$URL/fc.bin" "$W/full/fc.bin"
  check "full disk with --keep-partial: what was written stays" \
    eval 'rc_is 1 && [ -e "$W/full/fc.bin" ] && err_has "partial file kept"'
  umount "$W/full" && MOUNTED=""
else
  for t in "one file" "several files" "summary" "empty file" "--keep-partial"; do
    skip "full disk: $t" "can't mount a tmpfs here"
  done
fi

# ------------------------------------------------------------------ mkdir -p
a mkdir -p "$URL/mk1/mk2/mk3"
check "mkdir -p creates the missing parents" eval 'rc_is 0 && [ -d "$S/mk1/mk2/mk3" ]'
a mkdir -p "$URL/mk1/mk2"
check "mkdir -p of an existing directory: success" rc_is 0
a mkdir --parents "$URL/mk1/mk2/mk3/mk4/"
check "mkdir --parents, trailing slash" eval 'rc_is 0 && [ -d "$S/mk1/mk2/mk3/mk4" ]'
: >"$S/mk1/afile"
a mkdir -p "$URL/mk1/afile/sub"
check "mkdir -p through a file: exit 1" eval 'rc_is 1 && err_has "not a directory"'
a mkdir "$URL/mk9/mk10"
check "mkdir without -p of a missing parent still fails" rc_is 1
a -p "$P" mkdir -p "smb://$U:$PW@$H/share/mk5/mk6"
check "-p before the command is still the port" eval 'rc_is 0 && [ -d "$S/mk5/mk6" ]'
a ls -p "$URL"
check "-p after another command is the port (a value missing: usage)" rc_is 2

# ------------------------------------------------------------------ --no-compound
: >"$S/nc.txt"
# send lines of --debug=trace whose flags have SMB2_FLAGS_RELATED_OPERATIONS (0x4)
related() {
  local n=0 f
  for f in $(sed -nE 's/^asmb: trace: send .* flags=(0x[0-9a-f]+).*/\1/p' "$W/err"); do
    [ $((f & 4)) = 0 ] || n=$((n + 1))
  done
  echo $n
}
a --debug=trace stat "$URL/nc.txt"
check "without --no-compound, stat compounds (related requests)" eval 'rc_is 0 && [ "$(related)" -gt 0 ]'
a --debug=trace --no-compound stat "$URL/nc.txt"
check "--no-compound: stat works and nothing is compounded" eval 'rc_is 0 && [ "$(related)" = 0 ]'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
