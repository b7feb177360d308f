#!/usr/bin/env bash
# bench/conns.sh - connection scale: many asmb connections on one libuv loop (bench/asmb_conns).
#
#   bench/conns.sh [--light-n N] [--samba-n N] [--io-n N] [--io-size SIZE] [--parallel P]
#                  [--only "light samba io"] [--build-dir DIR]
#
# Builds bench/asmb_conns and bench/lightsrv (cmake, in --build-dir, default
# /tmp/asmb-conns-build) and runs, one after the other:
#   light  N (default 10000) idle anonymous connections to bench/lightsrv (one thread,
#          epoll; SMB 3.0.2 NEGOTIATE, anonymous NTLMSSP session, ECHO)
#   samba  N (default 1000) idle connections to a private smbd (tests/samba/samba.sh, state
#          on /dev/shm), user asmbtest, each connected to the share (--tree: smbd 4.17 closes
#          a session with no tree after ~60 s idle); smbd forks one process per connection
#   io     N (default 1000) connections to smbd, each storing and retrieving its own
#          SIZE (default 1M) file at the same time; bytes compared
# Each prints asmb_conns' report (see bench/asmb_conns.c: held, failures grouped by message,
# RSS and fds per connection, connect time, echo, io). Needs root for smbd.
set -euo pipefail

light_n=10000 samba_n=1000 io_n=1000 io_size=1M parallel=128 only="light samba io"
build=${ASMB_CONNS_BUILD:-/tmp/asmb-conns-build}
while [ $# -gt 0 ]; do
  case "$1" in
    --light-n) light_n=$2; shift 2;;
    --samba-n) samba_n=$2; shift 2;;
    --io-n) io_n=$2; shift 2;;
    --io-size) io_size=$2; shift 2;;
    --parallel) parallel=$2; shift 2;;
    --only) only=$2; shift 2;;
    --build-dir) build=$2; shift 2;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "conns.sh: unknown option $1" >&2; exit 2;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
samba=$root/tests/samba/samba.sh
say() { echo "conns.sh: $*" >&2; }
die() { say "$*"; exit 1; }

rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
say "building asmb_conns, lightsrv ($rev) in $build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"${build}.cmake.log" 2>&1 ||
  { cat "${build}.cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$build" -j2 --target asmb_conns lightsrv >"${build}.build.log" 2>&1 ||
  { tail -30 "${build}.build.log" >&2; die "build failed"; }

work=$(mktemp -d /dev/shm/asmb-conns.XXXXXX)
chmod 0755 "$work"
srv=$work/srv light_pid="" samba_up=0
cleanup() {
  local r=$?
  trap - EXIT INT TERM HUP
  [ -z "$light_pid" ] || kill "$light_pid" 2>/dev/null || true
  [ "$samba_up" = 0 ] || "$samba" stop --dir "$srv" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$r"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "asmb $rev, $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for what in $only; do
  case "$what" in
    light)
      "$build/lightsrv" >"$work/light.out" 2>"$work/light.err" &
      light_pid=$!
      for i in $(seq 1 50); do lport=$(sed -n 's/^PORT=//p' "$work/light.out"); [ -z "$lport" ] || break; sleep 0.1; done
      [ -n "$lport" ] || die "lightsrv did not start"
      echo
      echo "== light server (bench/lightsrv, SMB 3.0.2, anonymous): $light_n idle connections"
      "$build/asmb_conns" --port "$lport" --anonymous --parallel "$parallel" idle "$light_n" || rc=1
      kill "$light_pid"; wait "$light_pid" 2>/dev/null || true; light_pid=""
      sed 's/^/  /' "$work/light.err"
      ;;
    samba|io)
      if [ "$samba_up" = 0 ]; then
        "$samba" start --dir "$srv" >"$work/samba.log" 2>&1 || { cat "$work/samba.log" >&2; die "samba start failed"; }
        samba_up=1
        sport=$(sed -n 's/^PORT=//p' "$work/samba.log" | tail -n 1)
      fi
      echo
      if [ "$what" = samba ]; then
        echo "== Samba ($(smbd --version)): $samba_n idle connections (user asmbtest)"
        "$build/asmb_conns" --port "$sport" --tree --parallel "$parallel" idle "$samba_n" || rc=1
      else
        echo "== Samba: $io_n connections, each stores and retrieves $io_size at once"
        "$build/asmb_conns" --port "$sport" --tree --parallel "$parallel" --size "$io_size" io "$io_n" || rc=1
      fi
      # let smbd's children exit before the next run
      for i in $(seq 1 60); do
        [ "$(pgrep -c -P "$(cat "$srv/smbd.fg.pid")" || true)" -le 2 ] && break
        sleep 1
      done
      ;;
    *) die "unknown run '$what' (light, samba, io)";;
  esac
done
exit "$rc"
