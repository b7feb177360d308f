# Shared by the CLI test scripts (sourced): TAP-like "ok - ..." / "not ok - ..."
# lines and the counters behind "N passed, N failed"; a() runs asmb quietly with
# stdout in $W/out, stderr in $W/err and the status in $rc. The sourcing script
# sets ASMB and W before it calls a(), and may set ASMB_ERR_LINES (default 8)
# for how much of stderr a failure shows (control characters made visible).
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  shift
  local l
  for l in "$@"; do echo "#   $l"; done
  if [ -s "$W/err" ]; then sed 's/^/#   stderr: /' "$W/err" | head -n "${ASMB_ERR_LINES:-8}" | cat -v; fi
  failed=$((failed + 1))
}
skip() { echo "ok - $1 # SKIP $2"; passed=$((passed + 1)); }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds
check() {
  local d=$1
  shift
  if "$@"; then ok "$d"; else not_ok "$d" "failed: $*" "asmb rc=$rc"; fi
}
# a ARGS...: run asmb (quiet, no terminal; $ASMB_A_OPTS first, e.g. a timeout)
a() {
  # shellcheck disable=SC2086
  "$ASMB" -q ${ASMB_A_OPTS:-} "$@" >"$W/out" 2>"$W/err" </dev/null
  rc=$?
}
err_has() { grep -qF -- "$1" "$W/err"; }
rc_is() { [ "$rc" = "$1" ]; }
