#!/usr/bin/env bash
# fuzz/record-seeds.sh - record real server replies into the seed corpora.
#
# Starts the test Samba (tests/samba/samba.sh run, root), puts a recording
# proxy (fuzz/seedtool.py proxy) in front of it and runs through it:
#   - fuzz/record_client.c: asmb itself running the operations of
#     fuzz/engine_script.h (what fuzz_engine replays), anonymous, as a user,
#     and as an unknown user mapped to guest, at SMB 2.0.2, 3.0 and 3.1.1;
#   - smbclient (ls, mkdir, put, get, allinfo, rename, del, rmdir, -L, the
#     snapshot share's previous versions), signing disabled, at SMB2_02 and
#     SMB3_11.
# Every server->client stream is split per harness (seedtool.py split), then
# merged with the committed corpus by each harness (-merge=1) into a minimal
# fuzz/corpus/<harness>/. The committed corpora must stay under 2 MB in total.
#
# Environment: ASMB_FUZZ_OUT (default <repo>/build-fuzz), KEEP_RAW=1 keeps
# the raw recordings in $ASMB_FUZZ_OUT/seeds-raw.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${ASMB_FUZZ_OUT:-$root/build-fuzz}

if [ "${1:-}" = --inner ]; then
  # ---- under samba.sh run: ASMB_TEST_PORT/USER/PASS/DIR are exported
  raw=$2
  client=$out/record_client
  portf=$(mktemp -u "$out/proxyport.XXXXXX")
  record() {  # record LABEL CMD...
    local label=$1; shift
    rm -f "$portf"
    python3 "$here/seedtool.py" proxy --upstream "$ASMB_TEST_PORT" --out "$raw" \
      --label "$label" --port-file "$portf" >/dev/null &
    local ppid=$!
    for _ in $(seq 100); do [ -s "$portf" ] && break; sleep 0.05; done
    [ -s "$portf" ] || { echo "record-seeds: proxy did not start" >&2; kill "$ppid"; return 1; }
    P=$(cat "$portf")
    export P
    "$@" >/dev/null 2>&1 || echo "record-seeds: $label: exit $? (kept what was recorded)" >&2
    sleep 0.3
    kill -TERM "$ppid" 2>/dev/null || true
    wait "$ppid" 2>/dev/null || true
  }
  H=127.0.0.1
  U=$ASMB_TEST_USER
  W=$ASMB_TEST_PASS
  for d in 0x0202 0x0300 0x0311; do
    record "asmb-anon-$d" bash -c '"$0" 127.0.0.1 "$P" "" "" guest '"$d" "$client"
    record "asmb-user-$d" bash -c '"$0" 127.0.0.1 "$P" "'"$U"'" "'"$W"'" share '"$d" "$client"
  done
  record asmb-guest-0x0311 bash -c '"$0" 127.0.0.1 "$P" nosuchuser x guest 0x0311' "$client"
  opts=(--option='client signing=disabled' --option='client min protocol=SMB2_02')
  cmds='mkdir d; put /etc/hostname d\h.txt; put /etc/os-release d\o.txt; ls; ls d\*; allinfo d\h.txt; get d\h.txt /dev/null; get d\o.txt /dev/null; rename d\h.txt d\i.txt; del d\i.txt; del d\o.txt; rmdir d'
  for m in SMB2_02 SMB3_11; do
    record "smbclient-guest-$m" bash -c 'smbclient //127.0.0.1/guest -p "$P" -N -m '"$m"' "$@" -c "'"$cmds"'"' _ "${opts[@]}"
    record "smbclient-user-$m" bash -c 'smbclient //127.0.0.1/share -p "$P" -U "'"$U%$W"'" -m '"$m"' "$@" -c "'"$cmds"'"' _ "${opts[@]}"
    record "smbclient-list-$m" bash -c 'smbclient -L 127.0.0.1 -p "$P" -U "'"$U%$W"'" -m '"$m"' "$@"' _ "${opts[@]}"
    record "smbclient-anonlist-$m" bash -c 'smbclient -L 127.0.0.1 -p "$P" -N -m '"$m"' "$@"' _ "${opts[@]}"
    record "smbclient-snap-$m" bash -c 'smbclient //127.0.0.1/snap -p "$P" -U "'"$U%$W"'" -m '"$m"' "$@" -c "allinfo f.txt; ls; get f.txt /dev/null"' _ "${opts[@]}"
    record "smbclient-ro-$m" bash -c 'smbclient //127.0.0.1/ro -p "$P" -N -m '"$m"' "$@" -c "ls; allinfo readme.txt; get readme.txt /dev/null"' _ "${opts[@]}"
  done
  rm -f "$portf"
  exit 0
fi

command -v smbclient >/dev/null || { echo "record-seeds: smbclient missing (tests/samba/install-deps.sh)" >&2; exit 2; }
mkdir -p "$out"
"$here/build.sh"
cc -O1 -g -std=c11 -D_GNU_SOURCE -I"$root/include" -I"$root/src" -I"$here" \
  "$here/record_client.c" $(cd "$root" && find "$root/src" -name '*.c' | sort) \
  $(pkg-config --cflags --libs libuv libcrypto) -o "$out/record_client"

raw=$out/seeds-raw
split=$out/seeds-split
rm -rf "$raw" "$split"
mkdir -p "$raw"
"$root/tests/samba/samba.sh" run -- "$here/record-seeds.sh" --inner "$raw"
echo "record-seeds: $(ls "$raw" | wc -l) streams recorded" >&2
python3 "$here/seedtool.py" split --in "$raw" --out "$split"

# Merge into minimal corpora, per harness that exists.
for d in "$split"/*/; do
  h=$(basename "$d")
  bin=$out/fuzz_$h
  if [ ! -x "$bin" ]; then
    echo "record-seeds: no harness for $h (seeds left in $d)" >&2
    continue
  fi
  new=$(mktemp -d "$out/merge.XXXXXX")
  mkdir -p "$here/corpus/$h"
  "$bin" -merge=1 -rss_limit_mb=4096 "$new" "$here/corpus/$h" "$d" >/dev/null 2>&1 ||
    { echo "record-seeds: merge failed for $h" >&2; rm -rf "$new"; exit 1; }
  rm -rf "$here/corpus/$h"
  mv "$new" "$here/corpus/$h"
  chmod 0755 "$here/corpus/$h"
done
[ "${KEEP_RAW:-0}" = 1 ] || rm -rf "$raw"
echo "record-seeds: fuzz/corpus holds $(du -sb "$here/corpus" | cut -f1) bytes in $(find "$here/corpus" -type f | wc -l) files" >&2
total=$(du -sb "$here/corpus" | cut -f1)
[ "$total" -lt 2000000 ] || { echo "record-seeds: corpus is $total bytes (limit 2 MB)" >&2; exit 1; }
