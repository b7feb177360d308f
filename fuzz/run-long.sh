#!/usr/bin/env bash
# fuzz/run-long.sh [HOURS] [SECONDS_PER_ROUND] - fuzz for hours (default 8 h):
# rounds over every harness, each -max_total_time=SECONDS_PER_ROUND (default
# 900), until the time is up. Each harness keeps a growing corpus in
# build-fuzz/long/<harness>/corpus (started from fuzz/corpus/<harness>), so a
# round continues where the last one stopped. Fuzzing goes on after a finding
# (-fork=1 -ignore_crashes=1); every crashing input is kept in
# build-fuzz/long/<harness>/artifacts/ and the distinct reports are listed at
# the end with the table (executions, cov/ft of the last round). Exit status 1
# when anything was found. To keep what was learnt, minimise a grown corpus
# into the committed one (and mind the 2 MB budget of fuzz/corpus):
#   build-fuzz/fuzz_X -merge=1 NEW fuzz/corpus/X build-fuzz/long/X/corpus
# Environment: HARNESSES, PARALLEL (default nproc), FUZZ_ARGS, ASMB_FUZZ_OUT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${ASMB_FUZZ_OUT:-$root/build-fuzz}
hours=${1:-8}
round=${2:-900}
par=${PARALLEL:-$(nproc)}
end=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))

"$here/build.sh" || exit 2
if [ -n "${HARNESSES:-}" ]; then
  read -r -a names <<<"$HARNESSES"
else
  mapfile -t names < <(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | sort)
fi
ubsan="halt_on_error=1:print_stacktrace=1"
[ -f "$here/known-issues.supp" ] && ubsan="$ubsan:suppressions=$here/known-issues.supp"
export UBSAN_OPTIONS=$ubsan

long=$out/long
for n in "${names[@]}"; do
  mkdir -p "$long/$n/corpus" "$long/$n/artifacts"
  [ -d "$here/corpus/$n" ] && cp -rn "$here/corpus/$n/." "$long/$n/corpus/" 2>/dev/null
  : >>"$long/$n/execs"
done

one_round() {
  local n=$1 s=$2
  # shellcheck disable=SC2086
  "$out/fuzz_$n" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$s" -timeout=30 -rss_limit_mb=2560 \
    -artifact_prefix="$long/$n/artifacts/" ${FUZZ_ARGS:-} "$long/$n/corpus" \
    >"$long/$n/last.log" 2>&1
  local last
  last=$(grep -E '^#[0-9]+: cov: ' "$long/$n/last.log" | tail -1)
  [ -n "$last" ] && echo "$last" >"$long/$n/cov"
  sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last" >>"$long/$n/execs"
}

r=0
while [ "$(date +%s)" -lt "$end" ]; do
  r=$((r + 1))
  for n in "${names[@]}"; do
    left=$(( end - $(date +%s) ))
    [ "$left" -gt 10 ] || break 2
    while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
    one_round "$n" $(( left < round ? left : round )) &
  done
  wait
  echo "run-long.sh: round $r done" >&2
done
wait

fail=0
total=0
printf '%-18s %14s %8s %8s  %s\n' harness executions cov ft result
for n in "${names[@]}"; do
  e=$(awk '{ s += $1 } END { print s + 0 }' "$long/$n/execs")
  last=$(cat "$long/$n/cov" 2>/dev/null)
  c=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  f=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  res=ok
  : >"$long/$n/findings"
  for a in "$long/$n/artifacts"/*; do
    [ -f "$a" ] || continue
    what=$(timeout 60 "$out/fuzz_$n" "$a" 2>&1 | grep -E '^SUMMARY: |invariant failed' |
           grep -v 'SUMMARY: libFuzzer' | head -1)
    echo "${what:-(no report: timeout, OOM or flaky)}	$a" >>"$long/$n/findings"
  done
  if [ -s "$long/$n/findings" ]; then
    res="FOUND: $(wc -l <"$long/$n/findings") input(s), $(cut -f1 "$long/$n/findings" | sort -u | wc -l) distinct"
    fail=1
  fi
  printf '%-18s %14s %8s %8s  %s\n' "$n" "$e" "${c:-?}" "${f:-?}" "$res"
  total=$((total + e))
done
printf '%-18s %14s\n' total "$total"
for n in "${names[@]}"; do
  [ -s "$long/$n/findings" ] || continue
  echo
  echo "$n findings (distinct reports, one input each):"
  sort -t'	' -k1,1 -u "$long/$n/findings" | sed 's/^/  /'
done
exit $fail
