#!/usr/bin/env bash
# Checks are written as: check DESCRIPTION eval '...' (expanded when evaluated).
# shellcheck disable=SC2016
#
# test_security.sh ASMB FS_PROXY - what asmb must not trust from a server, nor show
# of a password: multi-file get against names outside the pattern, paths, existing
# local files and planted symbolic links; terminal escapes in names; passwords in
# /proc/PID/cmdline and in messages; --allow-guest.
#
#   tests/samba/samba.sh run -- tests/cli/test_security.sh /path/to/asmb /path/to/fs_proxy
#
# A hostile server is the test Samba behind FS_PROXY (tests/faults/fs_proxy.c), which
# rewrites names in its replies (same UTF-16 length); asmb talks to it unsigned.
# Prints "ok - ..." / "not ok - ..." lines, then "N passed, N failed"; exits 1 on any
# failure, 77 (skipped) without python3 or script(1).
set -u

. "$(dirname "$0")/lib.sh"
# on_tty FILE ARGS...: run asmb on a pseudo-terminal (script(1)); what the terminal
# received in FILE. ARGS is a shell command line (for redirections inside the pty).
on_tty() {
  local f=$1
  shift
  script -qec "$*" /dev/null </dev/null >"$f" 2>&1
  rc=$?
}
# raw FILE: an ESC byte, or a UTF-8 C1 control (C2 80..C2 9F), is in FILE
raw_ctl() { LC_ALL=C grep -q "$(printf '\033')" "$1" || LC_ALL=C grep -qP '\xC2[\x80-\x9F]' "$1"; }
same() { [ "$(cat "$1")" = "$2" ]; }

ASMB=${1:?usage: test_security.sh ASMB FS_PROXY (run through tests/samba/samba.sh run)}
FSP=${2:?usage: test_security.sh ASMB FS_PROXY}
: "${ASMB_TEST_PORT:?ASMB_TEST_* missing: run through tests/samba/samba.sh run}"
if ! command -v python3 >/dev/null || ! command -v script >/dev/null; then
  echo "needs python3 and script(1): skipped"
  exit 77
fi

W=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 1
rc=0
H=$ASMB_TEST_HOST P=$ASMB_TEST_PORT U=$ASMB_TEST_USER PW=$ASMB_TEST_PASS
S=$ASMB_TEST_DIR/share
unset ASMB_PASSWORD

# The share's files, written directly into its folder.
mkdir -p "$S"/sec1 "$S"/sec2 "$S"/sec3 "$S"/sec5
printf 'a\n' >"$S/sec1/aaaaaaaa.txt"        # listed as .bash_logout
printf 'EVIL\n' >"$S/sec1/.bash_logout"     # what a get of that name would fetch
printf 'good\n' >"$S/sec1/good.txt"
printf 'z\n' >"$S/sec2/zzzzzz.txt"          # listed as ..\zzz.txt
printf 'y\n' >"$S/sec2/yyyyyy.txt"          # listed as ../yyy.txt
printf 'up\n' >"$S/zzz.txt"
printf 'up\n' >"$S/yyy.txt"
printf 'REMOTE\n' >"$S/sec3/.profile"
printf 'remote f\n' >"$S/sec3/f.txt"
printf 'e\n' >"$S/sec5/e1e1e1e1.txt"        # listed with an OSC sequence
printf 'c\n' >"$S/sec5/c1c1.txt"            # listed with a C1 CSI

# The hostile server: Samba behind the rewriting proxy.
OSC=$(printf '\033]0;PWN\007.txt') CSI=$(printf '\302\2332Jx.txt')
"$FSP" "$P" -n aaaaaaaa.txt .bash_logout -n zzzzzz.txt '..\zzz.txt' -n yyyyyy.txt '../yyy.txt' \
  -n e1e1e1e1.txt "$OSC" -n c1c1.txt "$CSI" >"$W/proxy.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$W/proxy.port" ] && break; sleep 0.1; done
PP=$(head -n 1 "$W/proxy.port")
[ -n "$PP" ] || { echo "fs_proxy did not start"; exit 1; }
EVIL="smb://$U:$PW@$H:$PP/share"   # through the proxy: unsigned
URL="smb://$U:$PW@$H:$P/share"     # straight to Samba

# ------------------------------------------------------------------ names outside the pattern
mkdir -p "$W/home"
printf 'ORIGINAL\n' >"$W/home/.bash_logout"
a --signing off get -j 1 "$EVIL/sec1/*.txt" "$W/home"
check "get *.txt: a listed .bash_logout is skipped, the local one unchanged, exit 1" \
  eval 'rc_is 1 && same "$W/home/.bash_logout" ORIGINAL && err_has "skipped" &&
        err_has "sec1/.bash_logout" && err_has "does not match"'
# control: the defence must not cost the legitimate file
check "get *.txt through the proxy: the matching file still arrives" \
  eval 'same "$W/home/good.txt" good'
rm -f "$W/home/.bash_logout"
mkdir -p "$W/home2"
a --signing off --json get "$EVIL/sec1/*.txt" "$W/home2"
check "get --json: the skipped name is an entry with skipped true, nothing written" \
  eval 'rc_is 1 && [ ! -e "$W/home2/.bash_logout" ] && python3 -c "
import json, sys
r = {e[\"path\"]: e for e in json.load(open(sys.argv[1]))}
e = r[\"sec1/.bash_logout\"]
sys.exit(0 if e[\"skipped\"] and not e[\"ok\"] and e[\"local\"] is None and not r[\"sec1/good.txt\"][\"skipped\"] else 1)
" "$W/out"'

# ------------------------------------------------------------------ paths
mkdir -p "$W/d2/in"
a --signing off get "$EVIL/sec2/*.txt" "$W/d2/in"
check "get: listed names with ..\\ and ../ are refused and reported, nothing written outside" \
  eval 'rc_is 1 && [ ! -e "$W/d2/zzz.txt" ] && [ ! -e "$W/d2/yyy.txt" ] && [ -z "$(ls -A "$W/d2/in")" ] &&
        [ "$(grep -c "skipped .*a path, not a name" "$W/err")" = 2 ]'

# ------------------------------------------------------------------ existing local files
mkdir -p "$W/home3"
printf 'LOCAL\n' >"$W/home3/.profile"
a get "$URL/sec3/*" "$W/home3"
check "get *: an existing local dotfile is not overwritten without --overwrite, exit 1" \
  eval 'rc_is 1 && same "$W/home3/.profile" LOCAL && same "$W/home3/f.txt" "remote f" && err_has "--overwrite"'
a get --overwrite "$URL/sec3/*" "$W/home3"
check "get --overwrite *: the existing file is replaced" \
  eval 'rc_is 0 && same "$W/home3/.profile" REMOTE'

# ------------------------------------------------------------------ symbolic links
mkdir -p "$W/home4"
printf 'VICTIM\n' >"$W/victim"
ln -s "$W/victim" "$W/home4/f.txt"
a get "$URL/sec3/*.txt" "$W/home4"
check "get *.txt: a symlink planted in the target folder is not followed" \
  eval 'rc_is 1 && same "$W/victim" VICTIM && [ -L "$W/home4/f.txt" ] && err_has "symbolic link"'
a get --overwrite "$URL/sec3/*.txt" "$W/home4"
check "get --overwrite *.txt: the symlink is not followed either" \
  eval 'rc_is 1 && same "$W/victim" VICTIM && [ -L "$W/home4/f.txt" ]'
a get "$URL/sec3/f.txt" "$W/home4/f.txt"
check "get of one file onto a symlink: refused, its target unchanged" \
  eval 'rc_is 1 && same "$W/victim" VICTIM && err_has "symbolic link"'
# control: one named file is still replaced, as documented
printf 'old\n' >"$W/plain.txt"
a get "$URL/sec3/f.txt" "$W/plain.txt"
check "get of one file onto an existing regular file replaces it (as cp)" \
  eval 'rc_is 0 && same "$W/plain.txt" "remote f"'

# ------------------------------------------------------------------ terminal escapes
Q=$(printf '%q' "$ASMB")
on_tty "$W/tty-ls" "$Q -q --signing off ls $(printf '%q' "$EVIL/sec5") 2>/dev/null"
check "ls on a terminal: no raw ESC or C1 from listed names; shown as \\x1b and \\u009b" \
  eval 'rc_is 0 && ! raw_ctl "$W/tty-ls" && grep -qF "\\x1b]0;PWN\\x07.txt" "$W/tty-ls" &&
        grep -qF "\\u009b2Jx.txt" "$W/tty-ls"'
mkdir -p "$W/home5"
on_tty "$W/tty-get" "$Q -q --signing off get $(printf '%q' "$EVIL/sec5/*.txt") $W/home5 >/dev/null"
check "get on a terminal: messages about such names reach stderr escaped, not raw" \
  eval 'rc_is 1 && ! raw_ctl "$W/tty-get" && grep -qF "\\x1b]0;PWN" "$W/tty-get" &&
        grep -qF "\\u009b2Jx" "$W/tty-get" && [ -z "$(ls -A "$W/home5")" ]'
a --signing off --json ls "$EVIL/sec5"
check "ls --json: ESC and C1 escaped as \\u001b and \\u009b, the names intact" \
  eval 'rc_is 0 && ! raw_ctl "$W/out" && grep -qF "\\u009b" "$W/out" && python3 -c "
import json, sys
names = {e[\"name\"] for e in json.load(open(sys.argv[1]))}
sys.exit(0 if {\"\\x1b]0;PWN\\x07.txt\", \"\\x9b2Jx.txt\"} <= names else 1)
" "$W/out"'

# ------------------------------------------------------------------ passwords
# A listener that accepts and never answers: asmb waits in NEGOTIATE.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
c = []
while True: c.append(s.accept())
' >"$W/mute.port" &
PIDS+=("$!")
for _ in $(seq 50); do [ -s "$W/mute.port" ] && break; sleep 0.1; done
MP=$(head -n 1 "$W/mute.port")
"$ASMB" -q --timeout 20 -U 'bob%Minus-U-S3cret' echo "smb://bob:Url-S3cretPass@127.0.0.1:$MP" \
  >/dev/null 2>&1 </dev/null &
apid=$!
PIDS+=("$apid")
sleep 1
tr '\0' ' ' <"/proc/$apid/cmdline" >"$W/cmdline" 2>/dev/null
kill "$apid" 2>/dev/null
check "/proc/PID/cmdline of a running asmb: neither the URL's nor -U's password" \
  eval '[ -s "$W/cmdline" ] && grep -qF "echo smb://bob:" "$W/cmdline" &&
        ! grep -qE "S3cret|XXXX" "$W/cmdline"'
a ls "smb://bob:Url-S3cretPass@$H:$P"
check "usage error about a URL: the password shown as ***" \
  eval 'rc_is 2 && err_has "smb://bob:***@" && ! err_has S3cret'
a "smb://bob:Url-S3cretPass@$H:$P/share" ls
check "a URL where the command goes: the message shows it without the password" \
  eval 'rc_is 2 && err_has "smb://bob:***@" && ! err_has S3cret'

# ------------------------------------------------------------------ --allow-guest
# The test Samba maps unknown users to guest (map to guest = Bad User).
a echo "smb://nosuchuser:whatever@$H:$P"
check "a user mapped to guest: authentication failure (3) without --allow-guest" rc_is 3
a --allow-guest echo "smb://nosuchuser:whatever@$H:$P"
check "--allow-guest: the guest session is accepted" eval 'rc_is 0 && grep -q guest "$W/out"'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
