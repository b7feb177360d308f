#!/usr/bin/env bash
# samba.sh - a throwaway smbd on 127.0.0.1 for the asmb integration tests.
#
#   samba.sh start  --dir DIR [options]   write DIR/smb.conf, user, shares; start smbd in the
#                                         foreground mode (backgrounded here); return once
#                                         127.0.0.1:PORT listens. Last stdout line: PORT=<n>
#   samba.sh stop   --dir DIR             stop smbd and every samba-dcerpcd/rpcd_* of DIR/smb.conf
#   samba.sh status --dir DIR             smbstatus -b: dialect, signing, encryption per session
#   samba.sh run    [options] -- CMD ...  start in a fresh temp dir, export DIR/env, run CMD,
#                                         always stop + clean up; exit with CMD's status
#
# Nothing in /etc/samba is read or written; all state lives in DIR. The only changes outside
# DIR: the system user asmbtest (created once) and the empty /var/log/samba/log.rpcd_* files
# that the rpcd_* --list-interfaces probes of samba-dcerpcd touch. Needs root.
# Exit status 77: cannot run here (not root, no smbd); `run` otherwise exits with CMD's status.
set -euo pipefail

readonly SMB_USER=asmbtest SMB_PASS=asmbpass
readonly SNAP_NAME=@GMT-2026.01.02-03.04.05

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'EOF'

options (start, run):
  --dir DIR          instance directory (start/stop/status: required; run: a fresh
                     ${ASMB_TEST_TMP:-/tmp}/asmb-samba.XXXXXX, kept if ASMB_KEEP=1)
  --port N           TCP port on 127.0.0.1 (default: a free random port in 20000-32767)
  --min-protocol P   NT1 SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11   (default SMB2_02)
  --max-protocol P   same values                                     (default SMB3_11)
  --signing S        default | auto | mandatory | disabled           (server signing)
  --encrypt E        default | off | if_required | desired | required (server smb encrypt)
  --ciphers LIST     server smb3 encryption algorithms, e.g. "AES-128-GCM AES-256-GCM"
  --sign-algos LIST  server smb3 signing algorithms, e.g. "AES-128-GMAC"
  --log-level N      smbd debug level (default 1); logs in DIR/log/
  --extra 'LINE'     add an smb.conf line to [global] (repeatable)

shares (paths DIR/<name>, user asmbtest / asmbpass):
  share   rw, asmbtest only         guest   rw, guest ok (dir 0777)
  ro      read-only, guest ok, readme.txt
  hidden$ rw, asmbtest (DIR/hidden) enc     rw, asmbtest, smb encrypt = required
  snap    shadow_copy2; snapshot @GMT-2026.01.02-03.04.05 has f.txt "old", live f.txt "new"

DIR/env (sourceable): ASMB_TEST_HOST ASMB_TEST_PORT ASMB_TEST_USER ASMB_TEST_PASS ASMB_TEST_DIR
  ASMB_TEST_CONF ASMB_TEST_MIN_PROTOCOL ASMB_TEST_MAX_PROTOCOL ASMB_TEST_SIGNING ASMB_TEST_ENCRYPT
EOF
}

say() { echo "samba.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- options
dir="" port="" minproto=SMB2_02 maxproto=SMB3_11 signing=default encrypt=default
ciphers="" signalgos="" loglevel=1
extras=()

parse_opts() {  # sets the globals above; stops at "--" (the rest is left in cmd_args)
  cmd_args=()
  while [ $# -gt 0 ]; do
    local opt=$1
    case "$opt" in
      -h|--help) usage; exit 0;;
      --) shift; cmd_args=("$@"); return 0;;
      --dir|--port|--min-protocol|--max-protocol|--signing|--encrypt|--ciphers|--sign-algos|--log-level|--extra)
        [ $# -ge 2 ] || die "missing value for $opt"
        local val=$2
        case "$opt" in
          --dir) dir=$val;; --port) port=$val;;
          --min-protocol) minproto=$val;; --max-protocol) maxproto=$val;;
          --signing) signing=$val;; --encrypt) encrypt=$val;;
          --ciphers) ciphers=$val;; --sign-algos) signalgos=$val;;
          --log-level) loglevel=$val;; --extra) extras+=("$val");;
        esac
        shift 2;;
      *) say "unknown option: $opt"; usage >&2; exit 2;;
    esac
  done
}

# ---------------------------------------------------------------- processes
# Regex for the pids whose command line holds --configfile=<this config>. smbd's forked
# children keep its argv; smbd passes --configfile on to samba-dcerpcd and rpcd_*.
# pgrep never lists itself or zombies (their cmdline is empty).
conf_pids() {
  local re
  re=$(printf '%s' "$conf" | sed 's/[][\\.*^$+?(){}|]/\\&/g')
  pgrep -f -- "--configfile=${re}( |\$)" || true
}

fg_pid() {  # the smbd started by us, if it is still alive and still ours
  local p
  [ -s "$dir/smbd.fg.pid" ] || return 1
  p=$(tr -dc 0-9 <"$dir/smbd.fg.pid")
  [ -n "$p" ] && grep -qzxF -- "--configfile=$conf" "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}

# is our smbd (pid $1) listening on 127.0.0.1:$port?
listening_pid() {
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -F "127.0.0.1:$port" | grep -q "pid=$1,"
}

alive() {  # running, not a zombie
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

other_listeners() {  # pids other than $1 listening on 127.0.0.1:$port (or on any address)
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | grep -vx "pid=$1" || true
}

port_free() {
  [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# Below net.ipv4.ip_local_port_range (32768-60999), so that no outgoing connection
# can hold the port we pick.
random_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 12768))
    port_free "$p" && { echo "$p"; return 0; }
  done
  die "no free port found in 20000-32767"
}

# ---------------------------------------------------------------- setup
# One machine-wide lock: for port picking (see start) and for useradd, which fails
# instead of waiting while another process holds /etc/passwd's lock.
lock_file() {
  if [ -d /run/lock ] && [ -w /run/lock ]; then echo /run/lock/asmb-samba.lock
  else echo /tmp/asmb-samba.lock; fi
}

ensure_user() {
  id -u "$SMB_USER" >/dev/null 2>&1 && return 0
  local lock
  lock=$(lock_file)
  (
    flock -w 30 9 || die "cannot lock $lock"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      id -u "$SMB_USER" >/dev/null 2>&1 && exit 0
      useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        "$SMB_USER" 2>>"$dir/log/useradd.log" && exit 0
      sleep 0.2
    done
    cat "$dir/log/useradd.log" >&2
    die "useradd $SMB_USER failed"
  ) 9>>"$lock"
}

write_conf() {
  local line
  {
    cat <<EOF
# generated by tests/samba/samba.sh
[global]
	server role = standalone server
	workgroup = WORKGROUP
	netbios name = ASMBTEST
	server string = asmb test server
	disable netbios = yes
	smb ports = $port
	interfaces = 127.0.0.1 ::1
	bind interfaces only = yes

	# every state directory inside $dir
	lock directory = $dir/lock
	state directory = $dir/state
	cache directory = $dir/cache
	pid directory = $dir/pid
	private dir = $dir/private
	ncalrpc dir = $dir/ncalrpc
	binddns dir = $dir/bind-dns
	passdb backend = tdbsam:$dir/private/passdb.tdb
	usershare path = $dir/usershares
	usershare max shares = 0
	idmap config * : backend = tdb
	idmap config * : range = 3000-7999

	log level = $loglevel
	max log size = 0
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes

	map to guest = Bad User
	guest account = nobody

	server min protocol = $minproto
	server max protocol = $maxproto
	server signing = $signing
	server smb encrypt = $encrypt
EOF
    [ -z "$ciphers" ] || printf '\tserver smb3 encryption algorithms = %s\n' "$ciphers"
    [ -z "$signalgos" ] || printf '\tserver smb3 signing algorithms = %s\n' "$signalgos"
    for line in ${extras[@]+"${extras[@]}"}; do printf '\t%s\n' "$line"; done
    cat <<EOF

[share]
	comment = asmb rw share
	path = $dir/share
	read only = no
	valid users = $SMB_USER

[guest]
	comment = asmb guest share
	path = $dir/guest
	read only = no
	guest ok = yes

[ro]
	comment = asmb read-only share
	path = $dir/ro
	read only = yes
	guest ok = yes

[hidden\$]
	comment = hidden share
	path = $dir/hidden
	read only = no
	valid users = $SMB_USER

[snap]
	comment = asmb snapshot share
	path = $dir/snap
	read only = no
	valid users = $SMB_USER
	vfs objects = shadow_copy2
	shadow:mountpoint = $dir/snap
	shadow:snapdir = .snapshots
	shadow:format = @GMT-%Y.%m.%d-%H.%M.%S
	shadow:sort = desc

[enc]
	comment = asmb encrypted share
	path = $dir/enc
	read only = no
	valid users = $SMB_USER
	smb encrypt = required
EOF
  } >"$conf"
}

make_dirs() {
  mkdir -p "$dir"/{lock,state,cache,pid,private,ncalrpc,bind-dns,usershares,log} \
           "$dir"/{share,guest,ro,hidden,enc} "$dir/snap/.snapshots/$SNAP_NAME"
  chmod 0755 "$dir"   # mktemp makes 0700; users and nobody must get through
  chmod 0700 "$dir/private"
}

make_shares() {
  chmod 0777 "$dir/guest"   # guests run as nobody: "other" needs write
  printf 'read-only share of the asmb tests\n' >"$dir/ro/readme.txt"
  printf 'old\n' >"$dir/snap/.snapshots/$SNAP_NAME/f.txt"
  printf 'new\n' >"$dir/snap/f.txt"
  touch -d '2026-01-02 03:04:05 UTC' "$dir/snap/.snapshots/$SNAP_NAME/f.txt"
  chown "$SMB_USER" "$dir"/{share,hidden,enc,snap} "$dir/snap/f.txt"
  # a parent directory with mode 0700 (e.g. ASMB_TEST_TMP under /root) locks users out
  if command -v runuser >/dev/null && ! runuser -u nobody -- test -w "$dir/guest" 2>/dev/null; then
    say "warning: user nobody cannot reach $dir/guest; share access will be denied"
  fi
}

write_env() {
  {
    printf 'ASMB_TEST_HOST=127.0.0.1\n'
    printf 'ASMB_TEST_PORT=%s\n' "$port"
    printf 'ASMB_TEST_USER=%s\n' "$SMB_USER"
    printf 'ASMB_TEST_PASS=%s\n' "$SMB_PASS"
    printf 'ASMB_TEST_DIR=%q\n' "$dir"
    printf 'ASMB_TEST_CONF=%q\n' "$conf"
    printf 'ASMB_TEST_MIN_PROTOCOL=%s\n' "$minproto"
    printf 'ASMB_TEST_MAX_PROTOCOL=%s\n' "$maxproto"
    printf 'ASMB_TEST_SIGNING=%s\n' "$signing"
    printf 'ASMB_TEST_ENCRYPT=%s\n' "$encrypt"
  } >"$dir/env"
}

# ---------------------------------------------------------------- commands
# 77: this machine cannot run the tests (ctest: SKIP_RETURN_CODE 77)
check_host() {
  [ "$(id -u)" = 0 ] || { say "smbd must run as root"; exit 77; }
  command -v smbd >/dev/null || { say "smbd missing: run tests/samba/install-deps.sh"; exit 77; }
}

# $1: where smbd's stdin comes from. smbd -F exits when a pipe/FIFO on its stdin reports EOF,
# which `run` uses as a lifeline; `start` alone gives it /dev/null (not watched).
start() {
  local stdin=${1:-/dev/null}
  [ -n "$dir" ] || die "start: --dir DIR is required"
  check_host
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  conf=$dir/smb.conf
  if p=$(fg_pid); then die "already running in $dir (pid $p)"; fi
  if [ -n "$(conf_pids)" ]; then stop >/dev/null; fi   # leftovers of a dead instance

  local auto_port=0 attempt pid i why lockfd
  [ -n "$port" ] || { auto_port=1; port=445; }   # placeholder until a port is picked (testparm panics on 0)
  make_dirs
  write_conf
  testparm -s "$conf" >/dev/null 2>"$dir/log/testparm.err" ||
    { cat "$dir/log/testparm.err" >&2; die "bad smb.conf: $conf"; }
  ensure_user
  make_shares
  printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" |
    smbpasswd -c "$conf" -s -a "$SMB_USER" >"$dir/log/smbpasswd.log" 2>&1 ||
    { cat "$dir/log/smbpasswd.log" >&2; die "smbpasswd failed"; }

  # smbd binds with SO_REUSEPORT: a second smbd on a busy port does not fail, it shares
  # the port (the kernel spreads connections over both). So picking a port and getting
  # smbd to listen on it happens under one machine-wide lock, and afterwards we check
  # that no other process listens on that port.
  exec {lockfd}>>"$(lock_file)"
  flock -w 60 "$lockfd" || die "cannot lock $(lock_file)"
  for attempt in 1 2 3 4 5 6 7 8; do
    if [ "$auto_port" = 1 ]; then
      port=$(random_port)
    elif ! port_free "$port"; then
      die "127.0.0.1:$port is in use"
    fi
    write_conf
    write_env

    # Own session/process group (setsid execs, the pid stays), so a terminal's ^C reaches
    # `run` and its trap, not smbd. Its output must not hold our stdout open. It must not
    # inherit the lock.
    setsid smbd -F --no-process-group --configfile="$conf" -l "$dir/log" \
      <"$stdin" >>"$dir/log/smbd.out" 2>&1 {lockfd}>&- &
    pid=$!
    echo "$pid" >"$dir/smbd.fg.pid"

    why="did not listen on 127.0.0.1:$port within 10 s"
    for i in $(seq 500); do    # 10 s at most; usually listening after ~0.1 s
      if listening_pid "$pid"; then
        if [ -n "$(other_listeners "$pid")" ]; then why="port $port shared with another process"; break; fi
        flock -u "$lockfd"; exec {lockfd}>&-
        echo "smbd pid $pid dir $dir conf $conf (user $SMB_USER/$SMB_PASS)"
        echo "PORT=$port"
        return 0
      fi
      if ! alive "$pid"; then why="exited"; break; fi
      if [ -n "$(other_listeners "$pid")" ]; then
        why="port $port taken by another process"; break
      fi
      sleep 0.02
    done
    stop >/dev/null
    if [ "$auto_port" = 1 ] && [ "$why" != exited ] && [ "$attempt" -lt 8 ]; then
      say "smbd $why; retrying with another port"
      continue
    fi
    tail -n 20 "$dir/log/smbd.out" "$dir/log/log.smbd" >&2 2>/dev/null || true
    die "smbd $why (logs in $dir/log)"
  done
  die "could not start smbd (no usable port)"
}

# TERM everything of this config at once; poll quickly; KILL what is left after 5 s.
stop() {
  [ -n "$dir" ] || die "stop: --dir DIR is required"
  [ -d "$dir" ] || { echo "not running (no $dir)"; return 0; }
  dir=$(cd "$dir" && pwd -P)
  conf=$dir/smb.conf
  local main t0 i pids=()
  main=$(fg_pid || true)
  mapfile -t pids < <(conf_pids)
  [ -z "$main" ] || pids+=("$main")
  [ ${#pids[@]} -gt 0 ] || { echo "not running"; rm -f "$dir/smbd.fg.pid"; return 0; }
  t0=$(date +%s%N)
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for i in $(seq 250); do      # 250 * 20 ms = 5 s
    mapfile -t pids < <(conf_pids)
    [ ${#pids[@]} -gt 0 ] || break
    if [ $((i % 25)) = 0 ]; then kill -TERM "${pids[@]}" 2>/dev/null || true; fi  # late-born
    sleep 0.02
  done
  if [ ${#pids[@]} -gt 0 ]; then
    say "still alive after 5 s, sending KILL to ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 50); do [ -n "$(conf_pids)" ] || break; sleep 0.02; done
  fi
  # reap our own child (run): until then it is a zombie
  [ -z "$main" ] || wait "$main" 2>/dev/null || true
  rm -f "$dir/smbd.fg.pid"
  echo "stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

status() {
  [ -n "$dir" ] || die "status: --dir DIR is required"
  dir=$(cd "$dir" && pwd -P)
  conf=$dir/smb.conf
  local p
  p=$(fg_pid) || { echo "not running"; return 3; }
  echo "smbd running, pid $p, port $(sed -n 's/^ASMB_TEST_PORT=//p' "$dir/env")"
  smbstatus --configfile="$conf" -b
}

# Instances of `run`s that died without cleaning up (SIGKILL): their smbd exits by itself
# through the lifeline, but samba-dcerpcd lingers ~60 s and the directory stays.
stop_sub() { (stop >/dev/null); }   # stop for the DIR given in the environment

reap_stale() {
  local base=$1 d owner
  for d in "$base"/asmb-samba.*; do
    [ -f "$d/owner.pid" ] || continue
    owner=$(tr -dc 0-9 <"$d/owner.pid")
    if [ -z "$owner" ] || kill -0 "$owner" 2>/dev/null; then continue; fi
    say "reaping stale instance $d"
    dir=$d stop_sub || true
    if [ -e "$d/keep" ]; then rm -f "$d/owner.pid"; else rm -rf "$d"; fi
  done
}

# EXIT trap of run
# shellcheck disable=SC2317  # reached through the trap
cleanup() {
  local r=$?
  trap - EXIT INT TERM HUP
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  stop >/dev/null 2>&1 || true
  if [ "${ASMB_KEEP:-0}" = 1 ]; then
    rm -f "$dir/owner.pid"
    say "kept $dir"
  else
    rm -rf "$dir"
  fi
  exit "$r"
}

run() {
  [ ${#cmd_args[@]} -gt 0 ] || die "run: no command (samba.sh run [options] -- CMD ...)"
  [ -z "$dir" ] || die "run: --dir is not allowed (a fresh directory is made)"
  local base=${ASMB_TEST_TMP:-/tmp} rc=0 lifeline
  check_host
  child=""
  mkdir -p "$base"
  reap_stale "$base"
  dir=$(mktemp -d "$base/asmb-samba.XXXXXX")
  dir=$(cd "$dir" && pwd -P)
  conf=$dir/smb.conf
  echo $$ >"$dir/owner.pid"
  [ "${ASMB_KEEP:-0}" != 1 ] || : >"$dir/keep"

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  # Lifeline: smbd's stdin is this FIFO; only this shell holds a write end, so if it dies
  # (even by SIGKILL) smbd sees EOF and exits.
  mkfifo -m 0600 "$dir/lifeline"
  exec {lifeline}<>"$dir/lifeline"
  start "$dir/lifeline" {lifeline}>&- >&2   # not in an || list: set -e must stay active

  set -a
  # shellcheck disable=SC1091
  . "$dir/env"
  set +a
  # In the background so that the traps run at once on a signal; stdin given back
  # explicitly (a background job would get /dev/null).
  "${cmd_args[@]}" <&0 {lifeline}>&- &
  child=$!
  wait "$child" || rc=$?
  child=""
  exit "$rc"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
parse_opts "$@"
conf=""
case "$cmd" in
  start)  [ ${#cmd_args[@]} = 0 ] || die "start takes no command"; start /dev/null;;
  stop)   stop;;
  status) status;;
  run)    run;;
  -h|--help|help) usage;;
  *) usage >&2; exit 2;;
esac
