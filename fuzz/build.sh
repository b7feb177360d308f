#!/usr/bin/env bash
# fuzz/build.sh [HARNESS...] - build the libFuzzer harnesses fuzz/fuzz_<name>.c
# with clang, ASan and UBSan into build-fuzz/fuzz_<name> (all of them by default;
# HARNESS is a name such as "read" or "engine").
#
# The library's sources (src/**/*.c) are compiled once into build-fuzz/obj with
# -fsanitize=fuzzer-no-link and reused by every harness; only what changed is
# rebuilt. The engine harnesses link with --wrap for asmb__crypto_new/_free and
# asmb__random (see fuzz/engine_harness.h).
#
# Environment: CC (default clang), ASMB_FUZZ_OUT (default <repo>/build-fuzz),
# ASMB_FUZZ_SANITIZE (default address,undefined), JOBS (default nproc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${ASMB_FUZZ_OUT:-$root/build-fuzz}
cc=${CC:-clang}
san=${ASMB_FUZZ_SANITIZE:-address,undefined}
jobs=${JOBS:-$(nproc)}

"$cc" --version 2>/dev/null | grep -q clang ||
  { echo "build.sh: $cc is not clang (libFuzzer needs clang: apt-get install -y clang libclang-rt-14-dev)" >&2; exit 2; }
pkg-config --exists libuv libcrypto ||
  { echo "build.sh: pkg-config cannot find libuv and libcrypto" >&2; exit 2; }

# UBSan stays recoverable (its reports halt anyway: halt_on_error=1 in
# fuzz_common.h) so that run.sh can mute known issues with a suppressions file.
cflags=(-g -O1 -std=c11 -fno-omit-frame-pointer -fsanitize="$san"
        -D_GNU_SOURCE -I"$root/include" -I"$root/src" -Wall -Wextra -Wno-unused-parameter
        $(pkg-config --cflags libuv libcrypto))
libs=($(pkg-config --libs libuv libcrypto))
wrap=(-Wl,--wrap=asmb__crypto_new -Wl,--wrap=asmb__crypto_free -Wl,--wrap=asmb__random)

mkdir -p "$out/obj"
# Flags changed: rebuild everything.
stamp="$out/obj/.flags"
want="$cc ${cflags[*]}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  rm -f "$out"/obj/*.o
  printf '%s' "$want" >"$stamp"
fi

# ---- the library, once
mapfile -t srcs < <(cd "$root" && find src -name '*.c' | sort)
newest_hdr=$(cd "$root" && find src include -name '*.h' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)
objs=()
pids=()
fail=0
for s in "${srcs[@]}"; do
  o="$out/obj/$(echo "${s%.c}" | tr / _).o"
  objs+=("$o")
  if [ ! -f "$o" ] || [ "$root/$s" -nt "$o" ] || [ "$root/$newest_hdr" -nt "$o" ]; then
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || fail=1; done
    "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link -c "$root/$s" -o "$o" || { rm -f "$o"; exit 1; } &
  fi
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || fail=1; done
[ "$fail" = 0 ] || { echo "build.sh: library build failed" >&2; exit 1; }
# objects of sources that no longer exist must not be linked
for o in "$out"/obj/*.o; do
  case " ${objs[*]} " in *" $o "*) ;; *) rm -f "$o";; esac
done

# ---- the harnesses
if [ $# -gt 0 ]; then
  names=("$@")
else
  mapfile -t names < <(cd "$root/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//' | sort)
fi
for n in "${names[@]}"; do
  h="$root/fuzz/fuzz_$n.c"
  [ -f "$h" ] || { echo "build.sh: no harness $h" >&2; exit 2; }
  bin="$out/fuzz_$n"
  extra=()
  case "$n" in engine*) extra=("${wrap[@]}");; esac
  newest=$(ls -t "$h" "$root"/fuzz/*.h "${objs[@]}" | head -1)
  if [ -f "$bin" ] && [ "$bin" -nt "$newest" ]; then continue; fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || fail=1; done
  "$cc" "${cflags[@]}" -fsanitize=fuzzer "$h" "${objs[@]}" "${extra[@]}" "${libs[@]}" -o "$bin" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || fail=1; done
[ "$fail" = 0 ] || { echo "build.sh: harness build failed" >&2; exit 1; }
echo "build.sh: ${#names[@]} harness(es) in $out" >&2
