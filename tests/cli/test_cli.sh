#!/usr/bin/env bash
# Checks are written as: check DESCRIPTION eval '...' (expanded when evaluated).
# shellcheck disable=SC2016
#
# test_cli.sh ASMB - end-to-end tests of the asmb command-line tool against a throwaway
# Samba, cross-checked with smbclient on the same share.
#
#   tests/samba/samba.sh run -- tests/cli/test_cli.sh /path/to/asmb
#
# Needs the ASMB_TEST_* variables that samba.sh exports, and smbclient. Prints one
# "ok - ..." / "not ok - ..." line per check, then "N passed, N failed"; exits 1 on any
# failure, 77 (skipped) without smbclient. Internal mode: test_cli.sh --json-escape ASMB
# DIR, run by a second samba.sh with "mangled names = no", checks the JSON escaping of
# names that need it.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/$(basename "$0")
SAMBA_SH=$HERE/../samba/samba.sh

. "$(dirname "$0")/lib.sh"
ASMB_ERR_LINES=5
have_python() { command -v python3 >/dev/null 2>&1; }

# a_in FILE ARGS...: the same with stdin from FILE
a_in() {
  local in=$1
  shift
  "$ASMB" -q "$@" >"$W/out" 2>"$W/err" <"$in"
  rc=$?
}
# sc SHARE COMMANDS: smbclient as the test user; output in $W/sc.out
sc() {
  smbclient -p "$ASMB_TEST_PORT" -U "$ASMB_TEST_USER%$ASMB_TEST_PASS" "//$ASMB_TEST_HOST/$1" \
    -c "$2" >"$W/sc.out" 2>&1
}
# Names in smbclient's "ls" output (without . and ..), sorted, one a line.
sc_names() {
  sed -nE 's/^  (.*[^ ]) +[DAHSRNI]+ +[0-9]+  [A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8} [0-9]{4}$/\1/p' \
    "$W/sc.out" | grep -vxE '\.|\.\.' | LC_ALL=C sort
}
# Names in asmb's text "ls" output, sorted.
asmb_names() {
  sed -E 's/^[A-Z ]{6} +[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z //' "$W/out" | LC_ALL=C sort
}
json_ok() { # FILE: parses as JSON (python3), or looks like it (no python3)
  if have_python; then python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
  else grep -q '^[[{]' "$1" && grep -q '[]}]$' "$1"; fi
}

# ------------------------------------------------------------------ JSON escaping mode
if [ "${1:-}" = "--json-escape" ]; then
  ASMB=$2 W=$3
  rc=0
  S=$ASMB_TEST_DIR/share
  : >"$S/quo\"te" && : >"$S/back\\slash" && : >"$S/$(printf 'tab\there')" && : >"$S/ctl$(printf '\001')x"
  "$ASMB" -q --json ls "smb://$ASMB_TEST_USER:$ASMB_TEST_PASS@$ASMB_TEST_HOST:$ASMB_TEST_PORT/share" \
    >"$W/esc.json" 2>"$W/err" || exit 1
  python3 - "$W/esc.json" <<'EOF' || { cat "$W/esc.json"; exit 1; }
import json, sys
names = {e["name"] for e in json.load(open(sys.argv[1]))}
want = {'quo"te', 'back\\slash', 'tab\there', 'ctl\x01x'}
sys.exit(0 if want <= names else 1)
EOF
  exit 0
fi

# ------------------------------------------------------------------ setup
ASMB=${1:?usage: test_cli.sh /path/to/asmb (run through tests/samba/samba.sh run)}
: "${ASMB_TEST_PORT:?ASMB_TEST_* missing: run through tests/samba/samba.sh run -- $0 ASMB}"
command -v smbclient >/dev/null || { echo "smbclient missing: skipped"; exit 77; }
case $ASMB in /*) ;; *) ASMB=$PWD/$ASMB ;; esac
[ -x "$ASMB" ] || { echo "not executable: $ASMB"; exit 1; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
rc=0
H=$ASMB_TEST_HOST P=$ASMB_TEST_PORT U=$ASMB_TEST_USER PW=$ASMB_TEST_PASS
SRV="smb://$H:$P"                 # no credentials
URL="smb://$U:$PW@$H:$P/share"    # the rw share, with credentials
unset ASMB_PASSWORD

head -c 3000000 /dev/urandom >"$W/rand.bin"      # several READ/WRITE chunks
head -c 1234567 /dev/urandom >"$W/up.bin"
printf 'unicode round trip\n' >"$W/uni.txt"
UNI='données-测试-😀.txt'

# ------------------------------------------------------------------ transfers
a put "$W/rand.bin" "$URL/rand.bin"
sc share "get rand.bin $W/sc-rand.bin"
check "put: smbclient gets identical bytes" eval 'rc_is 0 && cmp -s "$W/rand.bin" "$W/sc-rand.bin"'

sc share "put $W/up.bin up.bin"
a get "$URL/up.bin" "$W/got.bin"
check "get: identical to what smbclient put" eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/got.bin"'

a get "$URL/up.bin" -
check "get to stdout (-)" eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/out"'

mkdir -p "$W/dl"
(cd "$W/dl" && "$ASMB" -q get "$URL/up.bin" </dev/null >/dev/null 2>"$W/err"); rc=$?
check "get without LOCAL writes the basename in the current directory" \
  eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/dl/up.bin"'

a_in "$W/up.bin" put - "$URL/stdin.bin"
sc share "get stdin.bin $W/sc-stdin.bin"
check "put from stdin (-)" eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/sc-stdin.bin"'

a put "$W/up.bin" "$URL/rand.bin"   # over a longer file: must truncate
sc share "get rand.bin $W/sc-rand2.bin"
check "put truncates an existing longer file" eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/sc-rand2.bin"'

# --offset / --length
a get --offset 1000 --length 5000 "$URL/up.bin" -
dd if="$W/up.bin" of="$W/slice" bs=1 skip=1000 count=5000 status=none
check "get --offset 1000 --length 5000" eval 'rc_is 0 && cmp -s "$W/slice" "$W/out"'
a get --offset 1234000 "$URL/up.bin" -
tail -c +1234001 "$W/up.bin" >"$W/tail"
check "get --offset to the end" eval 'rc_is 0 && cmp -s "$W/tail" "$W/out" && [ -s "$W/tail" ]'
a get --offset 99999999 "$URL/up.bin" -
check "get --offset past the end gives nothing" eval 'rc_is 0 && [ ! -s "$W/out" ]'

# --append / --offset on put
printf 'first part\n' >"$W/base.txt"
printf 'second part\n' >"$W/app.txt"
a put "$W/base.txt" "$URL/append.txt" && a put --append "$W/app.txt" "$URL/append.txt"
cat "$W/base.txt" "$W/app.txt" >"$W/want.txt"
sc share "get append.txt $W/sc-append.txt"
check "put --append" eval 'rc_is 0 && cmp -s "$W/want.txt" "$W/sc-append.txt"'
a put --append "$W/app.txt" "$URL/append-new.txt"
sc share "get append-new.txt $W/sc-append-new.txt"
check "put --append creates a missing file" eval 'rc_is 0 && cmp -s "$W/app.txt" "$W/sc-append-new.txt"'

printf '0123456789abcdefghij' >"$W/o.txt"
printf 'XYZ' >"$W/patch.txt"
a put "$W/o.txt" "$URL/offset.txt" && a put --offset 5 "$W/patch.txt" "$URL/offset.txt"
cp "$W/o.txt" "$W/o-want.txt"
dd if="$W/patch.txt" of="$W/o-want.txt" bs=1 seek=5 conv=notrunc status=none
sc share "get offset.txt $W/sc-offset.txt"
check "put --offset writes in place without truncating" \
  eval 'rc_is 0 && cmp -s "$W/o-want.txt" "$W/sc-offset.txt"'

# progress bar: only on a terminal, not with -q (script(1) gives a pseudo-terminal)
if command -v script >/dev/null 2>&1; then
  script -qec "$(printf '%q ' "$ASMB" get "$URL/rand.bin" "$W/tty-got.bin")" /dev/null \
    </dev/null >"$W/tty.out" 2>&1
  rc=$?
  check "progress bar on a terminal (bytes, rate, 100%)" \
    eval 'rc_is 0 && grep -q "100%.*/s" "$W/tty.out" && cmp -s "$W/up.bin" "$W/tty-got.bin"'
  script -qec "$(printf '%q ' "$ASMB" -q get "$URL/rand.bin" "$W/tty-got.bin")" /dev/null \
    </dev/null >"$W/tty.out" 2>&1
  rc=$?
  check "no progress bar with -q" eval 'rc_is 0 && ! grep -q "/s" "$W/tty.out"'
else
  skip "progress bar on a terminal (bytes, rate, 100%)" "no script(1)"
  skip "no progress bar with -q" "no script(1)"
fi

# ------------------------------------------------------------------ several files (-j)
# 7 files of different sizes (empty, one byte, around the 64 KiB and 4 MiB request sizes),
# a name the pattern misses and a directory it matches (skipped: only files are fetched).
mkdir -p "$W/msrc" "$W/mget" "$W/mget2" "$W/mjson" "$W/mnone"
i=0
for size in 0 1 65535 65537 1000003 4194305 3000000; do
  i=$((i + 1))
  head -c "$size" /dev/urandom >"$W/msrc/m$i.dat"
done
printf 'not matched\n' >"$W/msrc/other.txt"
mcmd="mkdir multi; mkdir multi\\sub.dat; lcd $W/msrc"
for f in "$W"/msrc/*; do mcmd="$mcmd; put $(basename "$f") multi\\$(basename "$f")"; done
sc share "$mcmd"
"$ASMB" get -j 3 "$URL/multi/*.dat" "$W/mget" </dev/null >"$W/out" 2>"$W/err"; rc=$?
(cd "$W/msrc" && sha256sum m*.dat) >"$W/msrc.sha"
check "get -j 3 of a wildcard: the 7 matching files, identical (sha256sum)" \
  eval 'rc_is 0 && [ "$(ls "$W/mget" | tr "\n" " ")" = "m1.dat m2.dat m3.dat m4.dat m5.dat m6.dat m7.dat " ] && (cd "$W/mget" && sha256sum -c --quiet "$W/msrc.sha")'
check "get of several files: a summary line on stderr, nothing on stdout" \
  eval 'grep -qE "^7 files, 8325381 bytes in [0-9.]+ s, [0-9.]+ MB/s$" "$W/err" && [ ! -s "$W/out" ]'
(cd "$W/mget2" && "$ASMB" -q get "$URL/multi/m?.dat" </dev/null >/dev/null 2>"$W/err"); rc=$?
check "get of a wildcard without LOCALDIR: into the current directory (-j default)" \
  eval 'rc_is 0 && (cd "$W/mget2" && sha256sum -c --quiet "$W/msrc.sha")'

a get -j 3 "$URL/multi/*.nomatch" "$W/mnone"
check "get of a wildcard matching nothing: exit 1, 'no files match'" \
  eval 'rc_is 1 && err_has "asmb: no files match '\''multi/*.nomatch'\''" && [ -z "$(ls -A "$W/mnone")" ]'
a get "$URL/multi/*.dat" "$W/msrc/m1.dat"
check "get of a wildcard into a non-directory: exit 1" eval 'rc_is 1 && err_has "not a directory"'
a get "$URL/multi/m1.dat" "$URL/multi/missing.dat" "$URL/multi/m2.dat" "$W/mnone"
check "get of several URLs, one missing: the others arrive, exit 1" \
  eval 'rc_is 1 && err_has "missing.dat" && cmp -s "$W/msrc/m1.dat" "$W/mnone/m1.dat" && cmp -s "$W/msrc/m2.dat" "$W/mnone/m2.dat"'

a --json get -j 2 "$URL/multi/*.dat" "$URL/multi/nope*" "$W/mjson"
cp "$W/out" "$W/multi.json"
check "get --json of several files parses (python3 -m json.tool)" \
  eval 'rc_is 1 && { ! have_python || python3 -m json.tool "$W/multi.json" >/dev/null; } && json_ok "$W/multi.json"'
if have_python; then
  python3 - "$W/multi.json" "$W/msrc" >"$W/err" 2>&1 <<'EOF2'
import json, os, sys
res = json.load(open(sys.argv[1]))
keys = {"share", "path", "local", "ok", "skipped", "bytes", "seconds", "error"}
assert all(set(r) == keys for r in res), res
ok = [r for r in res if r["ok"]]
assert [r["path"] for r in ok] == ["multi/m%d.dat" % i for i in range(1, 8)], ok
for r in ok:
    name = os.path.basename(r["path"])
    assert r["bytes"] == os.path.getsize(os.path.join(sys.argv[2], name)), r
    assert r["error"] is None and r["share"] == "share" and r["local"].endswith("/" + name)
bad = [r for r in res if not r["ok"]]
assert len(bad) == 1 and bad[0]["path"] == "multi/nope*" and bad[0]["local"] is None, bad
assert not any(r["skipped"] for r in res), res
assert "no files match" in bad[0]["error"], bad
EOF2
  # shellcheck disable=SC2034  # read by the eval below
  py=$?
  check "get --json: one result per file (path, bytes, ok), the failed pattern too" eval '[ "$py" = 0 ]'
else
  skip "get --json: one result per file (path, bytes, ok), the failed pattern too" "no python3"
fi

mkdir -p "$W/mput"
for i in 1 2 3 4 5 6; do head -c $((i * 300007)) /dev/urandom >"$W/mput/p$i.bin"; done
a mkdir "$URL/mput"
a put -j 4 "$W"/mput/p*.bin "$URL/mput"
put_rc=$rc
a ls "$URL/mput"
asmb_names >"$W/mput.names"
sc share "lcd $W/mget2; get mput\\p1.bin p1.bin; get mput\\p6.bin p6.bin"
check "put -j 4 of 6 files into a directory: ls lists them, smbclient gets identical bytes" \
  eval '[ "$put_rc" = 0 ] && [ "$(tr "\n" " " <"$W/mput.names")" = "p1.bin p2.bin p3.bin p4.bin p5.bin p6.bin " ] && cmp -s "$W/mput/p1.bin" "$W/mget2/p1.bin" && cmp -s "$W/mput/p6.bin" "$W/mget2/p6.bin"'
a ls --json "$URL/mput"
check "put -j 4: the remote sizes match" \
  eval '(for i in 1 2 3 4 5 6; do grep -q "\"name\": \"p$i.bin\", \"size\": $((i * 300007))," "$W/out" || exit 1; done)'

# One local file that can't be read (root reads any mode: a dangling symlink then).
if [ "$(id -u)" = 0 ]; then ln -s "$W/no-such-file" "$W/mput/unreadable.bin"
else : >"$W/mput/unreadable.bin" && chmod 000 "$W/mput/unreadable.bin"; fi
a mkdir "$URL/mput2"
a put -j 2 "$W/mput/p1.bin" "$W/mput/unreadable.bin" "$W/mput/p2.bin" "$W/mput/p3.bin" "$URL/mput2/"
put_rc=$rc
cp "$W/err" "$W/mput.err"
a ls "$URL/mput2"
check "put of several files, one unreadable: the others arrive, exit 1, the error names it" \
  eval '[ "$put_rc" = 1 ] && grep -q "^asmb: .*unreadable\.bin: " "$W/mput.err" && [ "$(asmb_names | tr "\n" " ")" = "p1.bin p2.bin p3.bin " ]'
a put "$W/mput/p1.bin" "$W/mput/p2.bin" "$URL/mput/p1.bin"
check "put of several files onto a file: exit 1, not a directory" \
  eval 'rc_is 1 && err_has "not a directory"'
a put -j 0 "$W/mput/p1.bin" "$W/mput/p2.bin" "$URL/mput/"
check "-j 0: usage error (2)" eval 'rc_is 2 && err_has "invalid value for -j"'
a put --append "$W/mput/p1.bin" "$W/mput/p2.bin" "$URL/mput/"
check "put --append of several files: usage error (2)" rc_is 2
a get --offset 5 "$URL/multi/*.dat" "$W/mnone"
check "get --offset of a wildcard: usage error (2)" rc_is 2
a put "$W/mput/p1.bin" "$W/mget2/p1.bin" "$URL/mput/"
check "put of two files with the same name: usage error (2)" eval 'rc_is 2 && err_has "two files"'
a ls -j 2 "$URL"
check "-j on another command: usage error (2)" rc_is 2

# ------------------------------------------------------------------ --debug
a ls "$URL/multi"
cp "$W/out" "$W/plain.out"
a --debug ls "$URL/multi"
check "--debug: 'asmb: debug:' lines on stderr, the negotiated dialect, stdout unchanged" \
  eval 'rc_is 0 && grep -q "^asmb: debug: " "$W/err" && grep -qE "^asmb: debug: negotiated SMB3_11, signing [A-Z0-9-]+" "$W/err" && cmp -s "$W/plain.out" "$W/out"'
check "--debug: every stderr line is a log line" eval '! grep -vqE "^asmb: (error|warn|info|debug): " "$W/err"'
mkdir -p "$W/mtrace"   # a new folder: existing files are not replaced without --overwrite
a --debug=trace get -j 2 "$URL/multi/m1.dat" "$URL/multi/m2.dat" "$W/mtrace"
check "--debug=trace with a multi-file get: works, nothing on stdout" \
  eval 'rc_is 0 && grep -q "^asmb: debug: " "$W/err" && [ ! -s "$W/out" ]'
a --debug=loud ls "$URL"
check "--debug=LEVEL with an unknown level: usage error (2)" rc_is 2

# ------------------------------------------------------------------ Unicode
a put "$W/uni.txt" "$URL/$UNI"
sc share "get \"$UNI\" $W/sc-uni.txt"
check "Unicode name: asmb put, smbclient get" eval 'rc_is 0 && cmp -s "$W/uni.txt" "$W/sc-uni.txt"'
sc share "put $W/up.bin \"u-$UNI\""
a get "$URL/u-$UNI" "$W/got-uni.bin"
check "Unicode name: smbclient put, asmb get" eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/got-uni.bin"'
a get "$URL/donn%C3%A9es-%E6%B5%8B%E8%AF%95-%F0%9F%98%80.txt" -
check "percent-encoded Unicode path" eval 'rc_is 0 && cmp -s "$W/uni.txt" "$W/out"'
a put "$W/uni.txt" "$URL/with%20space.txt"
sc share "ls"
check "percent-encoded space becomes a space" eval 'rc_is 0 && sc_names | grep -qx "with space.txt"'

# ------------------------------------------------------------------ ls / stat
sc share "mkdir lsdir"
a ls "$URL"
sc share "ls"
sc_names >"$W/sc-names"
asmb_names >"$W/asmb-names"
check "ls lists the same names as smbclient" \
  eval 'rc_is 0 && [ "$(wc -l <"$W/sc-names")" -ge 8 ] && cmp -s "$W/sc-names" "$W/asmb-names"'
check "ls shows a directory with D and a file with its size" \
  eval 'grep -qE "^D +[0-9]+ .* lsdir$" "$W/out" && grep -qE "^A? *1234567 .* up\.bin$" "$W/out"'
check "ls omits . and .." eval 'grep -q " up\.bin$" "$W/out" && ! grep -qE " \.\.?$" "$W/out"'

a ls "$URL/up.bin"
check "ls of a file shows that one entry" \
  eval 'rc_is 0 && [ "$(wc -l <"$W/out")" = 1 ] && grep -qE " 1234567 [0-9T:Z-]+ up\.bin$" "$W/out"'
a ls "$URL" '*.txt'
check "ls with a PATTERN" eval 'rc_is 0 && grep -q " append\.txt$" "$W/out" && ! grep -q "\.bin$" "$W/out"'

a ls --json "$URL"
cp "$W/out" "$W/ls.json"
check "ls --json parses" json_ok "$W/ls.json"
if have_python; then
  python3 - "$W/ls.json" "$W/sc-names" "$UNI" >"$W/err" 2>&1 <<'EOF'
import json, sys
entries = json.load(open(sys.argv[1]))
names = sorted(e["name"] for e in entries)
want = sorted(l.rstrip("\n") for l in open(sys.argv[2], encoding="utf-8"))
assert names == want, (names, want)
keys = {"name", "size", "alloc_size", "attributes", "is_directory", "create_time",
        "access_time", "write_time", "change_time"}
for e in entries:
    assert set(e) == keys, e
    assert isinstance(e["is_directory"], bool) and isinstance(e["write_time"], float)
    assert e["is_directory"] == bool(e["attributes"] & 0x10)
assert sys.argv[3] in names
up = [e for e in entries if e["name"] == "up.bin"][0]
assert up["size"] == 1234567 and not up["is_directory"]
assert [e for e in entries if e["name"] == "lsdir"][0]["is_directory"]
EOF
  # shellcheck disable=SC2034  # read by the eval below
  py=$?
  check "ls --json: names, fields and types" eval '[ "$py" = 0 ]'
else
  skip "ls --json: names, fields and types" "no python3"
fi

a stat "$URL/up.bin"
check "stat size matches" eval 'rc_is 0 && grep -qx "size: $(stat -c %s "$W/up.bin")" "$W/out"'
check "stat shows is_directory and ISO 8601 UTC times" \
  eval 'grep -qx "is_directory: false" "$W/out" && grep -qE "^write_time: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$" "$W/out"'
a stat --json "$URL/up.bin"
cp "$W/out" "$W/stat.json"
check "stat --json parses and has the size" \
  eval 'rc_is 0 && json_ok "$W/stat.json" && grep -q "\"size\": 1234567," "$W/stat.json"'
a stat "$URL/lsdir"
check "stat of a directory" eval 'rc_is 0 && grep -qx "is_directory: true" "$W/out"'

# ------------------------------------------------------------------ directories, mv, rm
a mkdir "$URL/newdir"
sc share "ls"
check "mkdir: smbclient sees the directory" eval 'rc_is 0 && sc_names | grep -qx newdir'
a mkdir "$URL/newdir"
check "mkdir of an existing directory fails (1, STATUS_OBJECT_NAME_COLLISION)" \
  eval 'rc_is 1 && err_has "asmb: STATUS_OBJECT_NAME_COLLISION"'
sc share "mkdir rmdir-me"
a rmdir "$URL/rmdir-me"
sc share "ls"
check "rmdir: smbclient no longer sees it" \
  eval 'rc_is 0 && sc_names | grep -qx newdir && ! sc_names | grep -qx rmdir-me'

a mkdir "$URL/mvdir" && a put "$W/uni.txt" "$URL/mvdir/inner.txt" && a mv "$URL/mvdir" moved
sc share "ls"
check "mv: renamed in smbclient ls" eval 'rc_is 0 && sc_names | grep -qx moved && ! sc_names | grep -qx mvdir'
sc share 'ls moved\*'
check "mv keeps the directory's contents" eval 'sc_names | grep -qx inner.txt'
a mv "$URL/moved/inner.txt" "$SRV/share/moved/inner2.txt"
sc share 'ls moved\*'
check "mv to a full smb:// URL" eval 'rc_is 0 && sc_names | grep -qx inner2.txt && ! sc_names | grep -qx inner.txt'
a put "$W/base.txt" "$URL/moved/other.txt"
a mv "$URL/moved/other.txt" moved/inner2.txt
check "mv onto an existing file fails without --replace" \
  eval 'rc_is 1 && err_has "asmb: STATUS_OBJECT_NAME_COLLISION"'
a mv --replace "$URL/moved/other.txt" /moved/inner2.txt
sc share "get moved/inner2.txt $W/sc-replaced.txt"
check "mv --replace" eval 'rc_is 0 && cmp -s "$W/base.txt" "$W/sc-replaced.txt"'
a mv "$URL/moved/inner2.txt" "smb://$H:$P/other/x"
check "mv to another share is a usage error (2)" rc_is 2

a put "$W/base.txt" "$URL/moved/a.tmp" && a put "$W/base.txt" "$URL/moved/b.tmp"
a rm "$URL/moved/*.tmp"
sc share 'ls moved\*'
check "rm with a wildcard" eval 'rc_is 0 && ! sc_names | grep -q "\.tmp$" && sc_names | grep -qx inner2.txt'
sc share 'mkdir tree; mkdir tree\sub; put '"$W/base.txt"' tree\sub\f.txt; put '"$W/base.txt"' tree\g.txt'
a rm "$URL/tree"
sc share "ls"
check "rm of a directory without -r fails (1) and keeps it" \
  eval 'rc_is 1 && err_has "directory" && sc_names | grep -qx tree'
a rm -r "$URL/tree"
sc share "ls"
check "rm -r removes a directory tree" eval 'rc_is 0 && ! sc_names | grep -qx tree && sc_names | grep -qx newdir'
sc share "put $W/base.txt rm-me.txt"
a rm "$URL/rm-me.txt"
sc share "ls"
check "rm of a file" eval 'rc_is 0 && ! sc_names | grep -qx rm-me.txt && sc_names | grep -qx up.bin'
a rm "$URL/no-such-file"
check "rm of a missing file fails (1, STATUS_OBJECT_NAME_NOT_FOUND)" \
  eval 'rc_is 1 && err_has "asmb: STATUS_OBJECT_NAME_NOT_FOUND"'

# ------------------------------------------------------------------ getacl, echo
a getacl "$URL/up.bin"
check "getacl prints an owner SID" eval 'rc_is 0 && grep -qE "^owner: S-1-5-[0-9-]+$" "$W/out"'
check "getacl prints ACEs (type flags mask SID)" \
  eval 'grep -qE "^ace: (ALLOWED|DENIED) 0x[0-9a-f]{2} 0x[0-9a-f]{8} S-1-[0-9-]+$" "$W/out"'
a getacl --json "$URL/up.bin"
cp "$W/out" "$W/acl.json"
check "getacl --json parses and has the owner" \
  eval 'rc_is 0 && json_ok "$W/acl.json" && grep -qE "\"owner\": \"S-1-5-" "$W/acl.json"'
a echo "$SRV"
check "echo" eval 'rc_is 0 && grep -q "echo ok" "$W/out"'

# ------------------------------------------------------------------ shares, snapshots
# Share names in smbclient -L output (names without spaces, as the harness's), sorted.
sc_share_names() {
  sed -nE 's/^\t([^ \t]+) +(Disk|IPC|Printer|Device)( .*)?$/\1/p' "$W/sc.out" | LC_ALL=C sort
}
a shares "$SRV"
smbclient -N -p "$P" -L "//$H" >"$W/sc.out" 2>&1
sc_share_names >"$W/sc-shares"
awk '{print $1}' "$W/out" | LC_ALL=C sort >"$W/asmb-shares"
check "shares (anonymous) lists the same names as smbclient -L" \
  eval 'rc_is 0 && [ "$(wc -l <"$W/sc-shares")" -ge 7 ] && cmp -s "$W/sc-shares" "$W/asmb-shares"'
check "shares shows types and comments" \
  eval 'grep -qE "^share +DISK +asmb rw share$" "$W/out" && grep -qE "^IPC\\$ +IPC,special +IPC Service" "$W/out" && grep -qE "^hidden\\$ +DISK +hidden share$" "$W/out"'
a -U "$U%$PW" shares "$SRV"
smbclient -U "$U%$PW" -p "$P" -L "//$H" >"$W/sc.out" 2>&1
check "shares with a user: the same names as smbclient -L" \
  eval 'rc_is 0 && [ "$(awk "{print \$1}" "$W/out" | LC_ALL=C sort)" = "$(sc_share_names)" ]'
a --json shares "smb://$U:$PW@$H:$P"
cp "$W/out" "$W/shares.json"
check "shares --json parses" eval 'rc_is 0 && json_ok "$W/shares.json"'
if have_python; then
  python3 - "$W/shares.json" "$W/sc-shares" >"$W/err" 2>&1 <<'EOF'
import json, sys
shares = json.load(open(sys.argv[1]))
want = sorted(l.rstrip("\n") for l in open(sys.argv[2]))
assert sorted(s["name"] for s in shares) == want, (shares, want)
keys = {"name", "type", "kind", "is_special", "is_temporary", "comment"}
by = {s["name"]: s for s in shares}
for s in shares:
    assert set(s) == keys, s
    assert isinstance(s["is_special"], bool) and isinstance(s["type"], int)
    assert s["kind"] == s["type"] & 0xFFFF
ipc = by["IPC$"]
assert ipc["kind"] == 3 and ipc["is_special"] and ipc["type"] == 0x80000003, ipc
assert by["share"] == {"name": "share", "type": 0, "kind": 0, "is_special": False,
                       "is_temporary": False, "comment": "asmb rw share"}, by["share"]
assert not by["hidden$"]["is_special"] and by["hidden$"]["comment"] == "hidden share"
EOF
  # shellcheck disable=SC2034  # read by the eval below
  py=$?
  check "shares --json: names, fields and types" eval '[ "$py" = 0 ]'
else
  skip "shares --json: names, fields and types" "no python3"
fi
a shares "$SRV/share"
check "shares with a share in the URL: exit 2" rc_is 2

SNAP="smb://$U:$PW@$H:$P/snap"
a snapshots "$SNAP/f.txt"
check "snapshots shows the token and its time" \
  eval 'rc_is 0 && [ "$(cat "$W/out")" = "@GMT-2026.01.02-03.04.05  2026-01-02T03:04:05Z" ]'
a snapshots "$SNAP"
check "snapshots of the share's root" eval 'rc_is 0 && grep -q "^@GMT-2026.01.02-03.04.05 " "$W/out"'
a snapshots --json "$SNAP/f.txt"
cp "$W/out" "$W/snaps.json"
if have_python; then
  check "snapshots --json: token and time" eval 'rc_is 0 && python3 -c "
import json, sys
assert json.load(open(sys.argv[1])) == [{\"token\": \"@GMT-2026.01.02-03.04.05\", \"time\": 1767323045}]
" "$W/snaps.json"'
else
  check "snapshots --json: token and time" eval 'rc_is 0 && grep -q "\"time\": 1767323045" "$W/snaps.json"'
fi
a snapshots "$URL"
check "snapshots on a share without them: exit 1 (STATUS_INVALID_DEVICE_REQUEST)" \
  eval 'rc_is 1 && err_has "asmb: STATUS_INVALID_DEVICE_REQUEST"'
a get --snapshot @GMT-2026.01.02-03.04.05 "$SNAP/f.txt" -
check "get --snapshot prints the old version" eval 'rc_is 0 && [ "$(cat "$W/out")" = old ]'
a get "$SNAP/f.txt" -
check "get without --snapshot prints the live file" eval 'rc_is 0 && [ "$(cat "$W/out")" = new ]'
a ls --snapshot=@GMT-2026.01.02-03.04.05 "$SNAP"
check "ls --snapshot shows the snapshot's f.txt" \
  eval 'rc_is 0 && grep -qE " 4 2026-01-02T03:04:05Z f\.txt$" "$W/out"'
a stat --snapshot @GMT-2026.01.02-03.04.05 "$SNAP/f.txt"
check "stat --snapshot shows the snapshot's time" \
  eval 'rc_is 0 && grep -qx "write_time: 2026-01-02T03:04:05.0000000Z" "$W/out"'
a get --snapshot @GMT-2026.01.02-03.04.06 "$SNAP/f.txt" -
check "get --snapshot of a time without a snapshot: exit 1 (STATUS_OBJECT_NAME_NOT_FOUND)" \
  eval 'rc_is 1 && err_has "asmb: STATUS_OBJECT_NAME_NOT_FOUND"'
for bad in 2026.01.02-03.04.05 @GMT-2026.02.30-03.04.05 @GMT-2026.01.02-24.00.00 \
           @GMT-2026.1.02-03.04.05 @GMT-2026.01.02-03.04.05x @GMT-1970.01.01-00.00.00; do
  a get --snapshot "$bad" "$SNAP/f.txt" -
  check "--snapshot $bad: usage error (2)" eval 'rc_is 2 && err_has "invalid value for --snapshot"'
done
a put --snapshot @GMT-2026.01.02-03.04.05 "$W/base.txt" "$SNAP/x.txt"
check "put --snapshot: usage error (2)" rc_is 2

# ------------------------------------------------------------------ IPv6, encryption
a ls "smb://$U:$PW@[::1]:$P/share/up.bin"
case $rc in
  0) check "IPv6 URL smb://[::1]:PORT/share" grep -q " up\.bin$" "$W/out" ;;
  4) skip "IPv6 URL smb://[::1]:PORT/share" "the test server does not listen on ::1" ;;
  *) not_ok "IPv6 URL smb://[::1]:PORT/share" "asmb rc=$rc" ;;
esac
a --encrypt required echo "smb://$U:$PW@$H:$P"
check "--encrypt required: an encrypted session" eval 'rc_is 0 && grep -q "encrypted" "$W/out"'
a put "$W/up.bin" "smb://$U:$PW@$H:$P/enc/e.bin" && a get "smb://$U:$PW@$H:$P/enc/e.bin" -
check "share with smb encrypt = required: put and get" eval 'rc_is 0 && cmp -s "$W/up.bin" "$W/out"'
a -N --encrypt required ls "$SRV/guest"
check "--encrypt required with an anonymous session fails (3)" rc_is 3
a --max-protocol SMB2_10 echo "smb://$U:$PW@$H:$P"
check "--max-protocol SMB2_10" eval 'rc_is 0 && grep -q "SMB2_10" "$W/out"'
a --min-protocol SMB3_11 --max-protocol SMB3_00 echo "$SRV"
check "--min-protocol above --max-protocol: exit 2" rc_is 2

# ------------------------------------------------------------------ credentials
a -U "$U%$PW" ls "$SRV/share/up.bin"
check "-U USER%PASSWORD" eval 'rc_is 0 && grep -q "up\.bin$" "$W/out"'
a -U "WORKGROUP\\$U%$PW" ls "$SRV/share/up.bin"
check "-U DOMAIN\\USER%PASSWORD" eval 'rc_is 0 && grep -q "up\.bin$" "$W/out"'
a ls "smb://WORKGROUP;$U:$PW@$H:$P/share/up.bin"
check "URL with DOMAIN;USER:PASSWORD" eval 'rc_is 0 && grep -q "up\.bin$" "$W/out"'
printf 'username = %s\npassword = %s\ndomain = WORKGROUP\n' "$U" "$PW" >"$W/auth"
a -A "$W/auth" ls "$SRV/share/up.bin"
check "-A authentication file" eval 'rc_is 0 && grep -q "up\.bin$" "$W/out"'
printf 'username = %s\npassword = wrong\n' "$U" >"$W/auth-bad"
a -A "$W/auth-bad" ls "$SRV/share/up.bin"
check "-A with a wrong password fails (3)" rc_is 3
ASMB_PASSWORD=$PW a -U "$U" ls "$SRV/share/up.bin"
check "ASMB_PASSWORD" eval 'rc_is 0 && grep -q "up\.bin$" "$W/out"'
ASMB_PASSWORD=wrong a -U "$U" ls "$SRV/share/up.bin"
check "ASMB_PASSWORD is used (a wrong one fails with 3)" rc_is 3

# ------------------------------------------------------------------ guest, read-only
a -N put "$W/uni.txt" "$SRV/guest/by-guest.txt"
smbclient -N -p "$P" "//$H/guest" -c "get by-guest.txt $W/sc-guest.txt" >"$W/sc.out" 2>&1
check "guest share with -N: put" eval 'rc_is 0 && cmp -s "$W/uni.txt" "$W/sc-guest.txt"'
a -N ls "$SRV/guest"
smbclient -N -p "$P" "//$H/guest" -c ls >"$W/sc.out" 2>&1
check "guest share with -N: ls matches smbclient -N" \
  eval 'rc_is 0 && sc_names | grep -qx by-guest.txt && [ "$(sc_names)" = "$(asmb_names)" ]'
a -N put "$W/uni.txt" "$SRV/ro/nope.txt"
check "read-only share: put fails (1, STATUS_ACCESS_DENIED)" \
  eval 'rc_is 1 && err_has "asmb: STATUS_ACCESS_DENIED"'
a -N get "$SRV/ro/readme.txt" -
check "read-only share: get works" eval 'rc_is 0 && grep -q "read-only share" "$W/out"'

# ------------------------------------------------------------------ exit statuses
a ls "smb://$U:wrong@$H:$P/share"
check "wrong password: exit 3 (STATUS_LOGON_FAILURE)" eval 'rc_is 3 && err_has "STATUS_LOGON_FAILURE"'
a get "$URL/missing.txt" "$W/missing.txt"
check "missing file: exit 1 with asmb: STATUS_OBJECT_NAME_NOT_FOUND" \
  eval 'rc_is 1 && grep -q "^asmb: STATUS_OBJECT_NAME_NOT_FOUND" "$W/err"'
check "a failed get leaves no local file" eval 'rc_is 1 && [ ! -e "$W/missing.txt" ]'
a stat "$URL/missing.txt"
check "stat of a missing file: exit 1" eval 'rc_is 1 && err_has "asmb: STATUS_OBJECT_NAME_NOT_FOUND"'
a ls
check "usage: no URL: exit 2" rc_is 2
a frobnicate "$URL"
check "usage: unknown command: exit 2" rc_is 2
a ls --bogus "$URL"
check "usage: unknown option: exit 2" rc_is 2
a ls "http://$H/share"
check "usage: not an smb:// URL: exit 2" rc_is 2
a ls "$SRV"
check "usage: URL without a share: exit 2" rc_is 2
a get --append "$URL/up.bin"
check "usage: option of another command: exit 2" rc_is 2
a --timeout nope ls "$URL"
check "usage: bad --timeout: exit 2" rc_is 2
a ls "smb://$U:$PW@127.0.0.1:1/share"
check "connection refused: exit 4" rc_is 4
a --help
check "--help: exit 0, usage on stdout" eval 'rc_is 0 && grep -q "^usage: asmb" "$W/out"'
a put --help
check "COMMAND --help" eval 'rc_is 0 && grep -q "put LOCAL|- URL" "$W/out" && grep -q -- "--append" "$W/out"'
a --help
check "--help lists shares and snapshots" \
  eval 'rc_is 0 && grep -q "^  shares smb://" "$W/out" && grep -q "^  snapshots URL" "$W/out"'
a shares --help
check "shares --help" eval 'rc_is 0 && grep -qF "shares smb://HOST[:PORT]" "$W/out" && grep -q -- "--json" "$W/out"'
a get --help
check "get --help mentions --snapshot" eval 'rc_is 0 && grep -q -- "--snapshot @GMT-" "$W/out"'
a --version
check "--version" eval 'rc_is 0 && grep -qE "^asmb [0-9]+\.[0-9]+" "$W/out"'

head -c 67108864 /dev/zero >"$W/big.bin"
a put "$W/big.bin" "$URL/big.bin"
if [ "$rc" != 0 ]; then
  not_ok "timeout: uploading the 64 MiB file" "asmb rc=$rc"
else
  a --timeout 0.001 get "$URL/big.bin" "$W/big-got.bin"
  case $rc in
    5) check "--timeout 0.001 on a big get: exit 5" err_has "timed out" ;;
    0) skip "--timeout 0.001 on a big get: exit 5" "finished within the timeout" ;;
    *) not_ok "--timeout 0.001 on a big get: exit 5" "asmb rc=$rc" ;;
  esac
fi

# ------------------------------------------------------------------ JSON escaping
if have_python; then
  if "$SAMBA_SH" run --extra 'mangled names = no' -- "$SELF" --json-escape "$ASMB" "$W" \
    >"$W/esc.log" 2>&1; then
    ok "ls --json escapes quote, backslash and control characters"
  else
    not_ok "ls --json escapes quote, backslash and control characters" "$(tail -n 3 "$W/esc.log")"
  fi
else
  skip "ls --json escapes quote, backslash and control characters" "no python3"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
