#!/usr/bin/env bash
# bench/run.sh - asmb vs smbclient against a private smbd on 127.0.0.1 (tests/samba/samba.sh).
#
#   bench/run.sh [--size-mb N] [--reps N] [--scenarios "plain signing enc-gcm enc-ccm"]
#                [--no-small] [--asmb-opts "--window 8 ..."] [--build-dir DIR]
#                [--rtts "direct 0 1 10"] [--rtt-size-mb N] [--rtt-reps N]
#                [--rtt-sweep "4M:2 4M:4 ..."] [--no-rtt]
#
# Builds bench/asmb_bench (cmake, in --build-dir, default /tmp/asmb-bench-build), starts smbd
# with its instance directory on /dev/shm (so the share is tmpfs), and per scenario
#   plain    SMB3_11, no signing (asmb --signing off, smbclient client signing=disabled)
#   signing  server signing mandatory, AES-128-GMAC only
#   enc-gcm  server smb encrypt required, AES-128-GCM only
#   enc-ccm  server smb encrypt required, AES-128-CCM only
# measures get/put of an N MiB file with asmb_bench and with smbclient (iosize 1048576 and its
# default iosize), all in the same run and interleaved rep by rep (asmb, smbclient 1M,
# smbclient default) so that drift hits every client alike. Then, on the plain scenario,
# 1000 x 4 KiB files (asmb: all operations issued at once; smbclient: mput/ls/mget/del in one
# session) and 10000 get_attributes (asmb only). Needs root (smbd), smbclient, cmake.
#
# How things are measured:
#   asmb      seconds and CPU (getrusage RUSAGE_SELF deltas) of the transfer itself, printed
#             by asmb_bench; connection setup and process start excluded.
#   smbclient seconds: smbclient's own per-file timing (its "(N KiloBytes/sec)" = bytes /
#             (1.024 * ms), from before CREATE to after CLOSE, like asmb's), so process start,
#             negotiate and session setup are excluded as well. CPU: user+sys of the whole
#             smbclient process, from bash's `times` in a subshell around it (getrusage
#             RUSAGE_CHILDREN), minus the median CPU of a connect-only session
#             (smbclient -c exit) of the same scenario.
#   server    CPU and minor page faults of the smbd child that served the connection (they
#             land in the main smbd's cutime/cstime/cminflt once it reaps the child).
#   MB/s = 10^6 bytes/s. CPU s/GiB = (user+sys) per 2^30 bytes, median over the reps.
# smbclient's "iosize" only sets its window: it always reads/writes in chunks of the server's
# maximum (8 MiB for Samba), 1 chunk in flight with iosize 1048576, 2 (16 MiB) by default.
# Round-trip time (after the scenarios; --no-rtt skips it): both clients go through
# bench/delayproxy (a TCP proxy that delivers every byte RTT/2 after it arrived, each way;
# the kernel here has no netem) at each RTT of --rtts ("direct" = no proxy, to show the
# proxy's own cost at 0 ms), in the same run and interleaved rep by rep: plain get and put,
# and a signed get (server signing mandatory, AES-128-GMAC), files of --rtt-size-mb MiB
# (default 256: at 10 ms smbclient's 8 MiB chunks take >= 10 ms each, so a 256 MiB file
# takes a few seconds), --rtt-reps reps (default 3). Then, at the largest RTT, asmb alone
# with each io-size:window of --rtt-sweep (default "4M:2 4M:4 4M:8 4M:16 1M:8 1M:16
# 1M:32"), plain get and put, against the smbclient medians of the same RTT: which window
# reaches 2x smbclient.
#
# Noise: other processes on the machine and the VM's free page reporting (tmpfs pages freed
# by each put's truncation are slow to fault in again) move MB/s by tens of percent; CPU
# seconds per GiB are steadier. The load average is printed with the results.
set -euo pipefail

size_mb=1024 reps=5 scenarios="plain signing enc-gcm enc-ccm" do_small=1 asmb_extra=""
rtts="direct 0 1 10" rtt_size_mb=256 rtt_reps=3 do_rtt=1
rtt_sweep="4M:2 4M:4 4M:8 4M:16 1M:8 1M:16 1M:32"
build=${ASMB_BENCH_BUILD:-/tmp/asmb-bench-build}
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb=$2; shift 2;;
    --reps) reps=$2; shift 2;;
    --scenarios) scenarios=$2; shift 2;;
    --no-small) do_small=0; shift;;
    --asmb-opts) asmb_extra=$2; shift 2;;
    --build-dir) build=$2; shift 2;;
    --rtts) rtts=$2; shift 2;;
    --rtt-size-mb) rtt_size_mb=$2; shift 2;;
    --rtt-reps) rtt_reps=$2; shift 2;;
    --rtt-sweep) rtt_sweep=$2; shift 2;;
    --no-rtt) do_rtt=0; shift;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    *) echo "run.sh: unknown option $1" >&2; exit 2;;
  esac
done
case "$rtt_size_mb$rtt_reps" in *[!0-9]*) echo "run.sh: --rtt-size-mb and --rtt-reps take numbers" >&2; exit 2;; esac
case "$size_mb$reps" in *[!0-9]*) echo "run.sh: --size-mb and --reps take numbers" >&2; exit 2;; esac
if [ "$reps" -lt 1 ] || [ "$size_mb" -lt 1 ]; then echo "run.sh: bad --size-mb/--reps" >&2; exit 2; fi

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
samba=$root/tests/samba/samba.sh
say() { echo "run.sh: $*" >&2; }
die() { say "$*"; exit 1; }
t_begin=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)

[ "$(id -u)" = 0 ] || die "needs root (smbd)"
command -v smbd >/dev/null || die "smbd missing: tests/samba/install-deps.sh"
command -v smbclient >/dev/null || die "smbclient missing"

# ---------------------------------------------------------------- build
rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)  # what gets built
say "building asmb_bench ($rev) in $build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"${build}.cmake.log" 2>&1 ||
  { cat "${build}.cmake.log" >&2; die "cmake configure failed"; }
cmake --build "$build" -j2 --target asmb_bench delayproxy >"${build}.build.log" 2>&1 ||
  { tail -30 "${build}.build.log" >&2; die "build failed"; }
bench=$build/asmb_bench

# ---------------------------------------------------------------- work area, cleanup
work=$(mktemp -d /dev/shm/asmb-bench.XXXXXX)
chmod 0755 "$work"
srv=$work/srv res=$work/results.txt
: >"$res"
samba_up=0 iperf_pid="" proxy_pid=""
cleanup() {
  local r=$?
  trap - EXIT INT TERM HUP
  [ -z "$iperf_pid" ] || kill "$iperf_pid" 2>/dev/null || true
  [ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null || true
  [ "$samba_up" = 0 ] || "$samba" stop --dir "$srv" >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$r"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

bytes=$((size_mb * 1048576))
nsmall=1000 small_size=4096 nattrs=10000

# ---------------------------------------------------------------- TCP ceiling
iperf_line="TCP loopback ceiling: skipped (iperf3 not installed)"
if ! command -v iperf3 >/dev/null; then
  say "iperf3 missing; trying apt-get install iperf3"
  DEBIAN_FRONTEND=noninteractive timeout 180 apt-get install -y -q iperf3 >/dev/null 2>&1 ||
    say "cannot install iperf3; skipping the TCP ceiling"
fi
if command -v iperf3 >/dev/null; then
  iport=$((20000 + RANDOM % 12000))
  iperf3 -s -1 -p "$iport" >/dev/null 2>&1 &
  iperf_pid=$!
  sleep 0.5
  if out=$(iperf3 -c 127.0.0.1 -p "$iport" -t 3 -f M 2>&1); then
    rate=$(printf '%s\n' "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i+1) == "MBytes/sec") v = $i } END { print v }')
    # iperf3's MBytes are MiB
    iperf_line=$(awk -v r="$rate" 'BEGIN { printf "TCP loopback ceiling (iperf3, 1 stream, 3 s): %.0f MB/s", r * 1.048576 }')
  else
    iperf_line="TCP loopback ceiling: iperf3 failed"
  fi
  wait "$iperf_pid" 2>/dev/null || true
  iperf_pid=""
fi
say "$iperf_line"

# ---------------------------------------------------------------- samba
start_samba() {  # server options...
  "$samba" start --dir "$srv" --min-protocol SMB3_11 --max-protocol SMB3_11 "$@" \
    >"$work/samba.log" 2>&1 || { cat "$work/samba.log" >&2; die "samba start failed"; }
  samba_up=1
  port=$(sed -n 's/^PORT=//p' "$work/samba.log" | tail -n 1)
  [ -n "$port" ] || die "no port from samba.sh"
}
stop_samba() {
  "$samba" stop --dir "$srv" >/dev/null 2>&1 || true
  samba_up=0
}

scen_server() {
  case "$1" in
    plain) echo "";;
    signing) echo "--signing mandatory --sign-algos AES-128-GMAC";;
    enc-gcm) echo "--encrypt required --ciphers AES-128-GCM";;
    enc-ccm) echo "--encrypt required --ciphers AES-128-CCM";;
    *) die "unknown scenario $1";;
  esac
}
scen_asmb() {
  case "$1" in
    plain) echo "--signing off";;
    signing) echo "--signing required";;
    enc-gcm) echo "--encryption required --cipher aes-128-gcm";;
    enc-ccm) echo "--encryption required --cipher aes-128-ccm";;
  esac
}
scen_smb() {
  case "$1" in
    plain) echo "client signing=disabled";;
    signing) echo "client signing=required";;
    enc-gcm|enc-ccm) echo "client smb encrypt=required";;
  esac
}

# ---------------------------------------------------------------- server accounting
# smbd forks one child per connection; when it exits, the main smbd reaps it and the child's
# CPU time and minor page faults land in the main smbd's cutime/cstime/cminflt. Reading those
# before and after a transfer (after a short pause for the reaping) gives the server's cost
# of that transfer, session setup included (the same for every client).
clk_tck=$(getconf CLK_TCK)
srv_read() { awk -v t="$clk_tck" '{ printf "%.2f %d\n", ($16 + $17) / t, $11 }' "/proc/$(cat "$srv/smbd.fg.pid")/stat"; }
srv_begin() { srv0=$(srv_read); }
srv_end() {  # prints "server_cpu_seconds server_minor_faults"
  sleep 0.2
  local s1
  s1=$(srv_read)
  awk -v a="$srv0" -v b="$s1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f %d\n", y[1] - x[1], y[2] - x[2] }'
}

# ---------------------------------------------------------------- runners
# Every measurement becomes a line of $res:
#   scenario tool op rep seconds user sys bytes [server_cpu server_minflt]
# tool: asmb | smb1m | smbdef | smbbase (connect-only smbclient) | smb (small-files session)

asmb_run() {  # scenario rep -- asmb_bench args: records every line asmb_bench prints
  local scen=$1 rep=$2 out sv
  shift 3
  srv_begin
  # shellcheck disable=SC2046,SC2086
  out=$("$bench" --port "$port" $(scen_asmb "$scen") $asmb_extra "$@" 2>"$work/asmb.err") ||
    { cat "$work/asmb.err" >&2; die "asmb_bench $* failed ($scen)"; }
  sv=$(srv_end)
  grep '^#' "$work/asmb.err" | head -n 1 >"$work/asmb.info" || true
  printf '%s\n' "$out" | awk -v s="$scen" -v r="$rep" -v sv="$sv" 'NF == 5 { print s, "asmb", $1, r, $2, $3, $4, $5, sv }' >>"$res"
}

smb() {  # scenario -- smbclient args (stdout+stderr to $work/smb.out)
  # CPU: bash's `times` in the subshell that ran smbclient (children's user and sys, from
  # getrusage(RUSAGE_CHILDREN): finer than /usr/bin/time's 10 ms) goes to $work/cpu.out.
  local scen=$1
  shift
  (
    smbclient //127.0.0.1/share -p "$port" -U asmbtest%asmbpass -m SMB3_11 \
      --option="$(scen_smb "$scen")" "$@" >"$work/smb.out" 2>&1 || exit
    times >"$work/times.out"   # not in a pipeline: that would run in a fresh child
  ) || return
  awk 'function t(x, a) { sub(/s$/, "", x); split(x, a, "m"); return a[1] * 60 + a[2] }
       NR == 2 { printf "%.6f %.6f\n", t($1), t($2) }' "$work/times.out" >"$work/cpu.out"
}

smb_cpu() { cat "$work/cpu.out"; }

smb_transfer() {  # scenario tool(smb1m|smbdef) op(get|put) rep
  local scen=$1 tool=$2 op=$3 rep=$4 cmd rate secs cpu sv
  case "$tool" in smb1m) cmd="iosize 1048576; ";; *) cmd="";; esac
  case "$op" in
    get) cmd+="get big.bin /dev/null";;
    put) cmd+="put $work/src.bin put.bin";;
  esac
  srv_begin
  smb "$scen" -c "$cmd" || { cat "$work/smb.out" >&2; die "smbclient $cmd failed ($scen)"; }
  sv=$(srv_end)
  if grep -q 'NT_STATUS_' "$work/smb.out"; then cat "$work/smb.out" >&2; die "smbclient: error ($scen $cmd)"; fi
  rate=$(sed -nE 's/.*\(([0-9.]+) (KiloBytes\/sec|kb\/s)\) \(average.*/\1/p' "$work/smb.out" | head -n 1)
  [ -n "$rate" ] || { cat "$work/smb.out" >&2; die "smbclient printed no rate ($scen $cmd)"; }
  if [ "$op" = put ]; then
    [ "$(stat -c %s "$srv/share/put.bin")" = "$bytes" ] || die "smbclient put: wrong size ($scen)"
  fi
  secs=$(awk -v b="$bytes" -v r="$rate" 'BEGIN { printf "%.6f", b / (r * 1024) }')
  cpu=$(smb_cpu)
  echo "$scen $tool $op $rep $secs $cpu $bytes $sv" >>"$res"
}

smb_baseline() {  # scenario: a connect-only session, 3 times
  local scen=$1 i t0 t1
  for i in 1 2 3; do
    t0=$(date +%s%N)
    smb "$scen" -c "exit" || { cat "$work/smb.out" >&2; die "smbclient connect failed ($scen)"; }
    t1=$(date +%s%N)
    echo "$scen smbbase connect $i $(( (t1 - t0) / 1000 ))e-6 $(smb_cpu) 0" >>"$res"
  done
}

asmb_put_check() {
  [ "$(stat -c %s "$srv/share/put.bin")" = "$bytes" ] || die "asmb put: wrong size ($1)"
}

smb_small() {  # scenario rep: mput / ls / mget / del of the 1000 files in one session
  local scen=$1 rep=$2 ts
  rm -rf "$work/ldst" && mkdir -p "$work/ldst"
  printf '%s\n' 'prompt off' 'recurse off' 'mkdir sc' 'cd sc' "lcd $work/lsrc" \
    '!date +@T%s.%N' 'mput *' '!date +@T%s.%N' 'ls' '!date +@T%s.%N' "lcd $work/ldst" \
    'mget *' '!date +@T%s.%N' 'del *' '!date +@T%s.%N' 'cd ..' 'rmdir sc' |
    smb "$scen" || { tail -20 "$work/smb.out" >&2; die "smbclient small-files session failed"; }
  ts=$(grep -ao '@T[0-9.]*' "$work/smb.out" | tr -d '@T' | tr '\n' ' ')
  [ "$(echo "$ts" | wc -w)" = 5 ] || { tail -20 "$work/smb.out" >&2; die "smbclient session: missing time marks"; }
  [ "$(find "$work/ldst" -type f -size "${small_size}c" | wc -l)" = "$nsmall" ] ||
    die "smbclient mget did not fetch $nsmall files"
  [ ! -e "$srv/share/sc" ] || die "smbclient session left $srv/share/sc"
  # shellcheck disable=SC2086
  set -- $ts
  local cpu
  cpu=$(smb_cpu)
  awk -v s="$scen" -v r="$rep" -v t0="$1" -v t1="$2" -v t2="$3" -v t3="$4" -v t4="$5" \
      -v cpu="$cpu" -v n="$nsmall" -v sz="$small_size" 'BEGIN {
    split(cpu, c, " ")
    printf "%s smb small_store %s %.6f 0 0 %d\n", s, r, t1 - t0, n * sz
    printf "%s smb small_list %s %.6f 0 0 0\n", s, r, t2 - t1
    printf "%s smb small_retrieve %s %.6f 0 0 %d\n", s, r, t3 - t2, n * sz
    printf "%s smb small_delete %s %.6f 0 0 0\n", s, r, t4 - t3
    printf "%s smb small_session %s %.6f %s %s 0\n", s, r, t4 - t0, c[1], c[2]
  }' >>"$res"
}

# ---------------------------------------------------------------- data
say "scratch in $work; $size_mb MiB transfers, $reps reps"
start_samba
dd if=/dev/zero of="$srv/share/big.bin" bs=1M count="$size_mb" status=none
dd if=/dev/zero of="$work/src.bin" bs=1M count="$size_mb" status=none
chown asmbtest "$srv/share/big.bin"
mkdir -p "$work/lsrc"
head -c "$small_size" /dev/zero >"$work/lsrc/f0000"
for i in $(seq 1 $((nsmall - 1))); do cp "$work/lsrc/f0000" "$work/lsrc/f$(printf %04d "$i")"; done
# Warm-up: the first touch of tmpfs pages is slow on this VM; one put and one get, untimed.
say "warm-up"
"$bench" --port "$port" --signing off put "${size_mb}M" put.bin >/dev/null 2>&1 || die "warm-up put failed"
"$bench" --port "$port" --signing off get big.bin >/dev/null 2>&1 || die "warm-up get failed"
stop_samba

# ---------------------------------------------------------------- measurements
declare -A info
for scen in $scenarios; do
  say "scenario $scen"
  # shellcheck disable=SC2046
  start_samba $(scen_server "$scen")
  smb_baseline "$scen"
  for rep in $(seq 1 "$reps"); do
    asmb_run "$scen" "$rep" -- get big.bin
    smb_transfer "$scen" smb1m get "$rep"
    smb_transfer "$scen" smbdef get "$rep"
    asmb_run "$scen" "$rep" -- put "${size_mb}M" put.bin
    asmb_put_check "$scen"
    smb_transfer "$scen" smb1m put "$rep"
    smb_transfer "$scen" smbdef put "$rep"
  done
  info[$scen]=$(sed 's/^# //' "$work/asmb.info")
  if [ "$do_small" = 1 ] && [ "$scen" = plain ]; then
    say "small files and attributes ($scen)"
    for rep in $(seq 1 "$reps"); do
      asmb_run "$scen" "$rep" -- small "$nsmall" "$small_size" small
      smb_small "$scen" "$rep"
    done
    for rep in $(seq 1 "$reps"); do
      asmb_run "$scen" "$rep" -- attrs "$nattrs" big.bin
    done
  fi
  stop_samba
done

# ---------------------------------------------------------------- round-trip time
# Lines of $rtt_res:  scenario rtt tool op rep seconds user sys bytes
#   tool: asmb | smb1m | smbdef | asmb:<io-size>:<window> (sweep) | smbbase (connect-only)
rtt_res=$work/rtt.txt
: >"$rtt_res"
rtt_bytes=$((rtt_size_mb * 1048576))
proxy_start() {  # rtt: sets rport (the port clients use)
  if [ "$1" = direct ]; then rport=$port; return; fi
  "$build/delayproxy" -u "$port" -d "$1" -q >"$work/proxy.out" 2>"$work/proxy.err" &
  proxy_pid=$!
  local i
  for i in $(seq 1 50); do
    rport=$(sed -n 's/^PORT=//p' "$work/proxy.out")
    [ -z "$rport" ] || return 0
    sleep 0.1
  done
  die "delayproxy did not start: $(cat "$work/proxy.err")"
}
proxy_stop() {
  [ -z "$proxy_pid" ] || { kill "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; }
  proxy_pid=""
}
rtt_asmb() {  # scenario rtt tag op rep [asmb_bench options...]
  local scen=$1 rtt=$2 tag=$3 op=$4 rep=$5 out
  shift 5
  local args
  case "$op" in get) args="get rtt.bin";; put) args="put ${rtt_size_mb}M rttput.bin";; esac
  # shellcheck disable=SC2046,SC2086
  out=$("$bench" --port "$rport" $(scen_asmb "$scen") $asmb_extra "$@" $args 2>"$work/asmb.err") ||
    { cat "$work/asmb.err" >&2; die "asmb_bench $args failed ($scen, rtt $rtt)"; }
  printf '%s\n' "$out" | awk -v s="$scen" -v r="$rtt" -v t="$tag" -v rep="$rep" \
    'NF == 5 { print s, r, t, $1, rep, $2, $3, $4, $5 }' >>"$rtt_res"
  if [ "$op" = put ]; then
    [ "$(stat -c %s "$srv/share/rttput.bin")" = "$rtt_bytes" ] || die "asmb put: wrong size (rtt $rtt)"
  fi
}
rtt_smb() {  # scenario rtt tool(smb1m|smbdef) op rep
  local scen=$1 rtt=$2 tool=$3 op=$4 rep=$5 cmd rate secs save=$port
  case "$tool" in smb1m) cmd="iosize 1048576; ";; *) cmd="";; esac
  case "$op" in
    get) cmd+="get rtt.bin /dev/null";;
    put) cmd+="put $work/rttsrc.bin rttput.bin";;
  esac
  port=$rport
  smb "$scen" -c "$cmd" || { port=$save; cat "$work/smb.out" >&2; die "smbclient $cmd failed ($scen, rtt $rtt)"; }
  port=$save
  if grep -q 'NT_STATUS_' "$work/smb.out"; then cat "$work/smb.out" >&2; die "smbclient: error ($scen $cmd rtt $rtt)"; fi
  rate=$(sed -nE 's/.*\(([0-9.]+) (KiloBytes\/sec|kb\/s)\) \(average.*/\1/p' "$work/smb.out" | head -n 1)
  [ -n "$rate" ] || { cat "$work/smb.out" >&2; die "smbclient printed no rate ($scen $cmd rtt $rtt)"; }
  if [ "$op" = put ]; then
    [ "$(stat -c %s "$srv/share/rttput.bin")" = "$rtt_bytes" ] || die "smbclient put: wrong size (rtt $rtt)"
  fi
  secs=$(awk -v b="$rtt_bytes" -v r="$rate" 'BEGIN { printf "%.6f", b / (r * 1024) }')
  echo "$scen $rtt $tool $op $rep $secs $(smb_cpu) $rtt_bytes" >>"$rtt_res"
}
max_rtt=""
if [ "$do_rtt" = 1 ]; then
  for r in $rtts; do [ "$r" = direct ] || max_rtt=$r; done
  for scen in plain signing; do
    say "round-trip time: $scen, rtts $rtts, $rtt_size_mb MiB, $rtt_reps reps"
    # shellcheck disable=SC2046
    start_samba $(scen_server "$scen")
    if [ ! -e "$srv/share/rtt.bin" ]; then
      dd if=/dev/zero of="$srv/share/rtt.bin" bs=1M count="$rtt_size_mb" status=none
      chown asmbtest "$srv/share/rtt.bin"
      [ -e "$work/rttsrc.bin" ] || dd if=/dev/zero of="$work/rttsrc.bin" bs=1M count="$rtt_size_mb" status=none
    fi
    for i in 1 2 3; do
      smb "$scen" -c exit || { cat "$work/smb.out" >&2; die "smbclient connect failed ($scen)"; }
      echo "$scen - smbbase connect $i 0 $(smb_cpu) 0" >>"$rtt_res"
    done
    ops="get put"; [ "$scen" = signing ] && ops="get"
    for rtt in $rtts; do
      proxy_start "$rtt"
      for rep in $(seq 1 "$rtt_reps"); do
        for op in $ops; do
          rtt_asmb "$scen" "$rtt" asmb "$op" "$rep"
          rtt_smb "$scen" "$rtt" smb1m "$op" "$rep"
          rtt_smb "$scen" "$rtt" smbdef "$op" "$rep"
        done
      done
      if [ "$scen" = plain ] && [ "$rtt" = "$max_rtt" ]; then
        say "window sweep at $rtt ms: $rtt_sweep"
        for rep in $(seq 1 "$rtt_reps"); do
          for pt in $rtt_sweep; do
            for op in get put; do
              rtt_asmb "$scen" "$rtt" "asmb:$pt" "$op" "$rep" --io-size "${pt%%:*}" --window "${pt##*:}"
            done
          done
        done
      fi
      proxy_stop
    done
    stop_samba
  done
fi

# ---------------------------------------------------------------- report
elapsed=$(( $(date +%s) - t_begin ))
echo
echo "asmb $rev (built $(date -d "@$t_begin" '+%F %T')), smbclient $(smbclient --version | awk '{ print $2 }'), $(nproc) CPUs, kernel $(uname -r)"
echo "$iperf_line"
echo "transfers: $size_mb MiB, $reps reps; MB/s = 10^6 B/s (median/min over reps); CPU = user+sys s per GiB (median)"
echo "smbclient: best of iosize 1048576 (1M) and its default (def) by median; time = smbclient's own"
echo "  per-file timing; CPU = bash 'times' around a subshell running smbclient, minus a connect-only session"
echo "load average: before $load0; after $(cut -d' ' -f1-3 /proc/loadavg)"
for scen in $scenarios; do echo "  asmb $scen: ${info[$scen]:-?}"; done
echo

awk -v gib=1073741824 -v scenarios="$scenarios" -v nattrs="$nattrs" -v nsmall="$nsmall" '
function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(list,   a, n) { n = split(list, a, " "); if (!n) return -1; sortv(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function mn(list,   a, n) { n = split(list, a, " "); if (!n) return -1; sortv(a, n); return a[1] }
function mx(list,   a, n) { n = split(list, a, " "); if (!n) return -1; sortv(a, n); return a[n] }
{
  s = $1; tool = $2; op = $3; secs = $5; cpu = $6 + $7; b = $8
  k = s SUBSEP tool SUBSEP op
  if (tool == "smbbase") { base[s] = base[s] " " cpu; next }
  T[k] = T[k] " " secs
  if (b > 0 && secs > 0) R[k] = R[k] " " b / secs / 1e6
  C[k] = C[k] " " cpu; B[k] = b; N[k]++
  if (NF >= 10) { SC[k] = SC[k] " " $9; SF[k] = SF[k] " " $10 }
}
END {
  nsc = split(scenarios, sc, " ")
  printf "%-8s %-4s %15s %21s %6s %9s %9s %11s %7s\n", "scenario", "op", "asmb MB/s", "smbclient MB/s", "ratio", "asmb CPU", "smb CPU", "server CPU", "spread"
  printf "%-8s %-4s %15s %21s %6s %9s %9s %11s %7s\n", "", "", "median/min", "median/min (iosize)", "", "s/GiB", "s/GiB", "a/s s/GiB", "a/s %"
  for (i = 1; i <= nsc; i++) {
    s = sc[i]; bs = med(base[s]); if (bs < 0) bs = 0
    for (o = 1; o <= 2; o++) {
      op = o == 1 ? "get" : "put"
      ka = s SUBSEP "asmb" SUBSEP op
      if (!N[ka]) continue
      am = med(R[ka]); an = mn(R[ka])
      best = ""; bm = -1
      for (t = 1; t <= 2; t++) {
        tool = t == 1 ? "smb1m" : "smbdef"; kk = s SUBSEP tool SUBSEP op
        if (N[kk] && med(R[kk]) > bm) { bm = med(R[kk]); best = tool }
      }
      kb = s SUBSEP best SUBSEP op
      acpu = med(C[ka]) / (B[ka] / gib)
      split(C[kb], cc, " "); l = ""
      for (j in cc) l = l " " (cc[j] - bs)
      scpu = med(l) / (B[kb] / gib)
      sa = (mx(R[ka]) - an) / am * 100; ss = (mx(R[kb]) - mn(R[kb])) / bm * 100
      printf "%-8s %-4s %7.0f/%-7.0f %7.0f/%-7.0f (%-3s) %6.2f %9.2f %9.2f %5.2f/%-5.2f %3.0f/%-3.0f\n", s, op, am, an, bm, mn(R[kb]), best == "smb1m" ? "1M" : "def", am / bm, acpu, scpu, med(SC[ka]) / (B[ka] / gib), med(SC[kb]) / (B[kb] / gib), sa, ss
    }
  }
  printf "\nper client and iosize: MB/s median/min, client CPU s/GiB, server (smbd) CPU s/GiB, smbd minor faults/GiB:\n"
  for (i = 1; i <= nsc; i++) {
    s = sc[i]; bs = med(base[s]); if (bs < 0) bs = 0
    for (o = 1; o <= 2; o++) {
      op = o == 1 ? "get" : "put"; line = sprintf("  %-8s %-4s", s, op)
      ka = s SUBSEP "asmb" SUBSEP op
      if (N[ka]) printf "  %-8s %-4s  asmb %6.0f/%-6.0f cpu %5.2f srv %4.2f flt %6.0f\n", s, op, med(R[ka]), mn(R[ka]), med(C[ka]) / (B[ka] / gib), med(SC[ka]) / (B[ka] / gib), med(SF[ka]) / (B[ka] / gib)
      for (t = 1; t <= 2; t++) {
        tool = t == 1 ? "smb1m" : "smbdef"; kk = s SUBSEP tool SUBSEP op
        if (!N[kk]) continue
        split(C[kk], cc, " "); l = ""
        for (j in cc) l = l " " (cc[j] - bs)
        line = line sprintf("  %-3s %6.0f/%-6.0f cpu %5.2f srv %4.2f flt %6.0f", t == 1 ? "1M" : "def", med(R[kk]), mn(R[kk]), med(l) / (B[kk] / gib), med(SC[kk]) / (B[kk] / gib), med(SF[kk]) / (B[kk] / gib))
      }
      if (line != sprintf("  %-8s %-4s", s, op)) print line
    }
    if (base[s] != "") printf "  %-8s connect-only smbclient session: %.3f s CPU (median, subtracted above)\n", s, bs
  }
  # small files
  if (N["plain" SUBSEP "asmb" SUBSEP "small_store"]) {
    printf "\nsmall files (plain): %d x 4 KiB; seconds median/min; ratio = smbclient time / asmb time (>1: asmb faster)\n", nsmall
    printf "  %-15s %17s %17s %6s %10s\n", "phase", "asmb (concurrent)", "smbclient", "ratio", "asmb files/s"
    split("small_store small_list small_retrieve small_delete", ph, " ")
    split("store/mput list/ls retrieve/mget delete/del", nm, " ")
    at = ""; st = ""
    for (p = 1; p <= 4; p++) {
      ka = "plain" SUBSEP "asmb" SUBSEP ph[p]; kb = "plain" SUBSEP "smb" SUBSEP ph[p]
      printf "  %-15s %8.3f/%-8.3f %8.3f/%-8.3f %6.2f %10.0f\n", nm[p], med(T[ka]), mn(T[ka]), med(T[kb]), mn(T[kb]), med(T[kb]) / med(T[ka]), nsmall / med(T[ka])
    }
    # totals per rep
    for (p = 1; p <= 4; p++) { n = split(T["plain" SUBSEP "asmb" SUBSEP ph[p]], v, " "); for (j = 1; j <= n; j++) tot[j] += v[j]
      n = split(C["plain" SUBSEP "asmb" SUBSEP ph[p]], v, " "); for (j = 1; j <= n; j++) ctot[j] += v[j] }
    for (j = 1; j <= n; j++) { at = at " " tot[j]; ac = ac " " ctot[j] }
    kb = "plain" SUBSEP "smb" SUBSEP "small_session"; split(C[kb], cc, " "); l = ""
    for (j in cc) l = l " " (cc[j] - med(base["plain"]))
    printf "  %-15s %8.3f/%-8.3f %8.3f/%-8.3f %6.2f\n", "all four", med(at), mn(at), med(T[kb]), mn(T[kb]), med(T[kb]) / med(at)
    printf "  CPU (all phases, median): asmb %.3f s, smbclient %.3f s (process minus connect-only)\n", med(ac), med(l)
  }
  ka = "plain" SUBSEP "asmb" SUBSEP "attrs"
  if (N[ka]) {
    split(T[ka], v, " "); l = ""; for (j in v) l = l " " nattrs / v[j]
    split(C[ka], v, " "); c = ""; for (j in v) c = c " " v[j] / nattrs * 1e6
    printf "\nget_attributes x %d (plain, asmb, 64 in flight): %.0f ops/s median, %.0f min, %.0f max; CPU %.1f us/op\n", nattrs, med(l), mn(l), mx(l), med(c)
  }
}' "$res"

if [ "$do_rtt" = 1 ] && [ -s "$rtt_res" ]; then
echo
echo "round-trip time through bench/delayproxy (splice at 0 ms, a timestamped ring above; \"direct\" = no proxy):"
echo "  files of $rtt_size_mb MiB (chosen so the 10 ms runs take seconds, not minutes), $rtt_reps reps, interleaved;"
echo "  MB/s median/min; smbclient = better of iosize 1M and its default by median; ratio = asmb/smbclient;"
echo "  CPU = client user+sys s/GiB (median; smbclient minus its connect-only session); asmb ${asmb_extra:-defaults}"
awk -v gib=1073741824 -v rtts="$rtts" -v sweep="$rtt_sweep" -v maxrtt="$max_rtt" '
function sortv(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function med(list,   a, n) { n = split(list, a, " "); if (!n) return -1; sortv(a, n); return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function mn(list,   a, n) { n = split(list, a, " "); if (!n) return -1; sortv(a, n); return a[1] }
{
  s = $1; r = $2; tool = $3; op = $4; secs = $6; cpu = $7 + $8; b = $9
  if (tool == "smbbase") { base[s] = base[s] " " cpu; next }
  k = s SUBSEP r SUBSEP tool SUBSEP op
  if (b > 0 && secs > 0) R[k] = R[k] " " b / secs / 1e6
  C[k] = C[k] " " cpu; B[k] = b; N[k]++
}
END {
  printf "  %-8s %-4s %6s %15s %21s %6s %9s %9s\n", "scenario", "op", "rtt ms", "asmb MB/s", "smbclient MB/s", "ratio", "asmb CPU", "smb CPU"
  nr = split(rtts, rt, " ")
  split("plain get|plain put|signing get", combos, "|")
  for (c = 1; c <= 3; c++) {
    split(combos[c], sc, " "); s = sc[1]; op = sc[2]; bs = med(base[s]); if (bs < 0) bs = 0
    for (i = 1; i <= nr; i++) {
      r = rt[i]; ka = s SUBSEP r SUBSEP "asmb" SUBSEP op
      if (!N[ka]) continue
      best = ""; bm = -1
      for (t = 1; t <= 2; t++) {
        tool = t == 1 ? "smb1m" : "smbdef"; kk = s SUBSEP r SUBSEP tool SUBSEP op
        if (N[kk] && med(R[kk]) > bm) { bm = med(R[kk]); best = tool }
      }
      kb = s SUBSEP r SUBSEP best SUBSEP op
      split(C[kb], cc, " "); l = ""; for (j in cc) l = l " " (cc[j] - bs)
      SM[s, r, op] = bm
      printf "  %-8s %-4s %6s %7.0f/%-7.0f %7.0f/%-7.0f (%-3s) %6.2f %9.2f %9.2f\n", s, op, r, med(R[ka]), mn(R[ka]), bm, mn(R[kb]), best == "smb1m" ? "1M" : "def", med(R[ka]) / bm, med(C[ka]) / (B[ka] / gib), med(l) / (B[kb] / gib)
    }
  }
  if (maxrtt == "") exit
  np = split(sweep, pts, " ")
  if (!N["plain" SUBSEP maxrtt SUBSEP "asmb:" pts[1] SUBSEP "get"]) exit
  printf "\n  asmb io-size:window sweep at %s ms (plain), against smbclient at %s ms (get %.0f, put %.0f MB/s):\n", maxrtt, maxrtt, SM["plain", maxrtt, "get"], SM["plain", maxrtt, "put"]
  printf "  %-8s %17s %6s %17s %6s %9s %9s\n", "io:win", "get MB/s", "x smb", "put MB/s", "x smb", "CPU get", "CPU put"
  first = ""
  for (p = 1; p <= np; p++) {
    kg = "plain" SUBSEP maxrtt SUBSEP "asmb:" pts[p] SUBSEP "get"; kp = "plain" SUBSEP maxrtt SUBSEP "asmb:" pts[p] SUBSEP "put"
    if (!N[kg]) continue
    xg = med(R[kg]) / SM["plain", maxrtt, "get"]; xp = med(R[kp]) / SM["plain", maxrtt, "put"]
    printf "  %-8s %8.0f/%-8.0f %6.2f %8.0f/%-8.0f %6.2f %9.2f %9.2f\n", pts[p], med(R[kg]), mn(R[kg]), xg, med(R[kp]), mn(R[kp]), xp, med(C[kg]) / (B[kg] / gib), med(C[kp]) / (B[kp] / gib)
    if (first == "" && xg >= 2 && xp >= 2) first = pts[p]
  }
  if (first != "") printf "  first io-size:window (in sweep order) with get and put >= 2x smbclient at %s ms: %s\n", maxrtt, first
  else printf "  no io-size:window of the sweep reaches 2x smbclient for both get and put at %s ms\n", maxrtt
}' "$rtt_res"
fi
echo
echo "spread = (max-min)/median of MB/s over the reps, asmb/smbclient. raw results: kept in \$ASMB_BENCH_RAW if set"
[ -z "${ASMB_BENCH_RAW:-}" ] || { cp "$res" "$ASMB_BENCH_RAW"; [ ! -s "${rtt_res:-}" ] || cp "$rtt_res" "$ASMB_BENCH_RAW.rtt"; }
echo "whole run: ${elapsed} s"
