#!/usr/bin/env bash
# fuzz/run.sh [SECONDS_PER_HARNESS] - build, replay the regressions, then fuzz
# every harness (default 60 s each) and print a table: harness, executions,
# coverage (cov/ft of libFuzzer's final stats), result. 0 seconds: replay
# only (regressions, then each corpus once; no fuzzing).
#
#   1. fuzz/build.sh (clang, ASan+UBSan) into build-fuzz/;
#   2. every file of fuzz/regressions/<harness>/ runs once: any failure is a
#      regression (result "REGRESSION");
#   3. each harness fuzzes a temporary copy of fuzz/corpus/<harness>/ (the
#      committed corpus is never modified) with -print_final_stats=1; a crash,
#      leak, timeout or OOM leaves its input in build-fuzz/artifacts/<harness>/;
#      UBSan reports listed in fuzz/known-issues.supp (reported, not yet fixed
#      library bugs) are muted while fuzzing, never in the regression replay.
# Exit status: 0 when nothing was found, 1 otherwise (2: build/usage error).
#
# Environment: HARNESSES="read engine ..." (default: all), PARALLEL=N harnesses
# at once (default 1), KEEP_GOING=1 fuzzes on after a finding (libFuzzer
# -fork=1 -ignore_crashes=1: the table then counts findings, each input kept,
# and the distinct ones are listed), KEEP_CORPUS=1 keeps the grown corpora in
# build-fuzz/run/<harness>/corpus (merge them with -merge=1 by hand),
# FUZZ_ARGS="..." extra libFuzzer flags, ASMB_FUZZ_OUT (default build-fuzz).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${ASMB_FUZZ_OUT:-$root/build-fuzz}
secs=${1:-60}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: run.sh [SECONDS_PER_HARNESS]" >&2; exit 2; }
par=${PARALLEL:-1}

"$here/build.sh" || exit 2
if [ -n "${HARNESSES:-}" ]; then
  read -r -a names <<<"$HARNESSES"
else
  mapfile -t names < <(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | sort)
fi

declare -A result execs cov ft
fail=0

# Regressions replay strictly; fuzzing mutes the known issues (see
# fuzz/known-issues.supp) so that it looks past them.
strict_ubsan="halt_on_error=1:print_stacktrace=1"
fuzz_ubsan="$strict_ubsan"
[ -f "$here/known-issues.supp" ] && fuzz_ubsan="$fuzz_ubsan:suppressions=$here/known-issues.supp"

# ---- regressions first
for n in "${names[@]}"; do
  d=$here/regressions/$n
  [ -d "$d" ] || continue
  mapfile -t files < <(find "$d" -type f ! -name '*.md' | sort)
  [ ${#files[@]} -gt 0 ] || continue
  log=$out/run/$n.regressions.log
  mkdir -p "$out/run"
  if UBSAN_OPTIONS=$strict_ubsan "$out/fuzz_$n" "${files[@]}" >"$log" 2>&1; then
    echo "run.sh: $n: ${#files[@]} regression input(s) pass" >&2
  else
    echo "run.sh: $n: REGRESSION (see $log)" >&2
    result[$n]=REGRESSION
    fail=1
  fi
done

# ---- fuzzing
fuzz_one() {  # fuzz_one NAME: writes $out/run/NAME/{log,rc}
  local n=$1 w=$out/run/$1
  rm -rf "$w"
  mkdir -p "$w/corpus" "$w/artifacts"
  [ -d "$here/corpus/$n" ] && cp -r "$here/corpus/$n/." "$w/corpus/" 2>/dev/null
  local mode=(-max_total_time="$secs")
  [ "$secs" = 0 ] && mode=(-runs=0) # (-max_total_time=0 would mean forever)
  [ "${KEEP_GOING:-0}" = 1 ] && [ "$secs" != 0 ] &&
    mode+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  # shellcheck disable=SC2086
  UBSAN_OPTIONS=$fuzz_ubsan "$out/fuzz_$n" -print_final_stats=1 -timeout=30 \
    -rss_limit_mb=2560 -artifact_prefix="$w/artifacts/" "${mode[@]}" ${FUZZ_ARGS:-} "$w/corpus" \
    >"$w/log" 2>&1
  echo $? >"$w/rc"
  # keep the findings, and name what each one is
  if [ -n "$(ls "$w/artifacts")" ]; then
    mkdir -p "$out/artifacts/$n"
    for a in "$w/artifacts"/*; do
      cp "$a" "$out/artifacts/$n/"
      what=$(UBSAN_OPTIONS=$fuzz_ubsan timeout 60 "$out/fuzz_$n" "$a" 2>&1 |
             grep -E '^SUMMARY: |invariant failed' | grep -v 'SUMMARY: libFuzzer' | head -1)
      echo "${what:-(no report: timeout, OOM or flaky)}	$out/artifacts/$n/$(basename "$a")"
    done >"$w/findings"
  fi
  [ "${KEEP_CORPUS:-0}" = 1 ] || rm -rf "$w/corpus"
}

echo "run.sh: fuzzing ${#names[@]} harness(es), ${secs} s each, $par at once" >&2
for n in "${names[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
  fuzz_one "$n" &
done
wait

total=0
printf '%-18s %14s %8s %8s  %s\n' harness executions cov ft result
for n in "${names[@]}"; do
  w=$out/run/$n
  rc=$(cat "$w/rc" 2>/dev/null || echo 99)
  if [ "${KEEP_GOING:-0}" = 1 ] && [ "$secs" != 0 ]; then  # fork mode: "#N: cov: C ft: F ... crash: a/b/c"
    last=$(grep -E '^#[0-9]+: cov: ' "$w/log" | tail -1)
    e=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
  else
    e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$w/log" | tail -1)
  fi
  c=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  f=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  r=ok
  nf=0
  [ -f "$w/findings" ] && nf=$(wc -l <"$w/findings")
  if [ "$rc" != 0 ] || [ "$nf" -gt 0 ]; then
    kinds=$(cut -f1 "$w/findings" 2>/dev/null | sort -u | wc -l)
    r="FOUND: $nf input(s), $kinds distinct (listed below)"
    [ "$nf" -gt 0 ] || r="FAILED (rc $rc, see $w/log)"
    fail=1
  fi
  [ -n "${result[$n]:-}" ] && r="${result[$n]}; $r"
  printf '%-18s %14s %8s %8s  %s\n' "$n" "${e:-?}" "${c:-?}" "${f:-?}" "$r"
  total=$((total + ${e:-0}))
done
printf '%-18s %14s\n' total "$total"
for n in "${names[@]}"; do
  [ -f "$out/run/$n/findings" ] || continue
  echo
  echo "$n findings (distinct reports, one input each):"
  sort -t'	' -k1,1 -u "$out/run/$n/findings" | sed 's/^/  /'
done
exit $fail
