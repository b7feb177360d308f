#!/usr/bin/env bash
# fuzz/run-long.sh [HOURS] [SECONDS_PER_ROUND] - fuzz for hours (default 8 h):
# rounds over every harness, each -max_total_time=SECONDS_PER_ROUND (default
# 600), until the time is up. Each harness keeps a growing corpus in
# build-fuzz/long/<harness>/corpus (started from fuzz/corpus/<harness>), so
# rounds continue where the last one stopped; findings go to
# build-fuzz/long/artifacts/<harness>/ and a harness that found something is
# not run again (its input is what matters). A table of totals at the end;
# exit 1 when anything was found. To keep what was learnt, minimise the
# grown corpus into the committed one:
#   build-fuzz/fuzz_X -merge=1 NEW fuzz/corpus/X build-fuzz/long/X/corpus
# Environment: HARNESSES, PARALLEL (default nproc), FUZZ_ARGS, ASMB_FUZZ_OUT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out=${ASMB_FUZZ_OUT:-$root/build-fuzz}
hours=${1:-8}
round=${2:-600}
par=${PARALLEL:-$(nproc)}
end=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))

"$here/build.sh" || exit 2
if [ -n "${HARNESSES:-}" ]; then
  read -r -a names <<<"$HARNESSES"
else
  mapfile -t names < <(cd "$here" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | sort)
fi
long=$out/long
for n in "${names[@]}"; do
  mkdir -p "$long/$n/corpus" "$long/artifacts/$n"
  [ -d "$here/corpus/$n" ] && cp -rn "$here/corpus/$n/." "$long/$n/corpus/" 2>/dev/null
  : >>"$long/$n/execs"
done

ubsan="halt_on_error=1:print_stacktrace=1"
[ -f "$here/known-issues.supp" ] && ubsan="$ubsan:suppressions=$here/known-issues.supp"
export UBSAN_OPTIONS=$ubsan

one_round() {
  local n=$1 s=$2
  "$out/fuzz_$n" -max_total_time="$s" -print_final_stats=1 -timeout=30 -rss_limit_mb=2560 \
    -artifact_prefix="$long/artifacts/$n/" ${FUZZ_ARGS:-} "$long/$n/corpus" \
    >"$long/$n/last.log" 2>&1
  local rc=$?
  sed -n 's/^stat::number_of_executed_units: *//p' "$long/$n/last.log" >>"$long/$n/execs"
  grep -E '^#[0-9]+.*cov: ' "$long/$n/last.log" | tail -1 >"$long/$n/cov"
  if [ $rc != 0 ]; then
    cp "$long/$n/last.log" "$long/$n/finding.log"
    echo "run-long.sh: $n found something: $long/$n/finding.log" >&2
  fi
}

r=0
while [ "$(date +%s)" -lt "$end" ]; do
  r=$((r + 1))
  for n in "${names[@]}"; do
    [ -f "$long/$n/finding.log" ] && continue
    left=$(( end - $(date +%s) ))
    [ "$left" -gt 10 ] || break
    while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
    one_round "$n" $(( left < round ? left : round )) &
  done
  wait
  echo "run-long.sh: round $r done" >&2
  active=0
  for n in "${names[@]}"; do [ -f "$long/$n/finding.log" ] || active=1; done
  [ $active = 1 ] || break
done

fail=0
total=0
printf '%-18s %14s %8s %8s  %s\n' harness executions cov ft result
for n in "${names[@]}"; do
  e=$(awk '{ s += $1 } END { print s + 0 }' "$long/$n/execs")
  last=$(cat "$long/$n/cov" 2>/dev/null)
  c=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  f=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  res=ok
  if [ -f "$long/$n/finding.log" ]; then res="FOUND: $(ls "$long/artifacts/$n" | head -3 | tr '\n' ' ')"; fail=1; fi
  printf '%-18s %14s %8s %8s  %s\n' "$n" "$e" "${c:-?}" "${f:-?}" "$res"
  total=$((total + e))
done
printf '%-18s %14s\n' total "$total"
exit $fail
