#!/usr/bin/env bash
# tests/run.sh - the whole test suite, from a clean checkout (Debian 12, root):
#   1. install the packages it needs (tests/samba/install-deps.sh)
#   2. release build: unit and integration tests (each integration test starts
#      its own throwaway Samba on 127.0.0.1), exported-symbol check, and an
#      install whose headers/libraries build the demo via pkg-config and CMake
#   3. ASan+UBSan build: the whole suite again
#   4. valgrind memcheck: the whole suite again, zero errors and zero leaks
#   5. every libFuzzer harness for a bounded time (ASMB_FUZZ_SECONDS, 30)
# Set ASMB_SKIP="docs asan valgrind fuzz" to skip stages while developing (docs: the
# doxygen API reference check after the install one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip=" ${ASMB_SKIP:-} "
jobs=$(nproc)

"$root/tests/samba/install-deps.sh"

build() { # dir, cmake options...
  local dir=$1; shift
  cmake -S "$root" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
}
suite() { # dir, label
  echo "== $2"
  (cd "$1" && ctest --output-on-failure -j"$jobs" --timeout 900)
}

build "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
# Only asmb_ symbols leave the shared library.
bad=$(nm -D --defined-only "$root/build/libasmb.so" | awk '{print $3}' | grep -v '^asmb_' || true)
if [ -n "$bad" ]; then
  echo "symbols exported without the asmb_ prefix:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "== exported symbols: $(nm -D --defined-only "$root/build/libasmb.so" | wc -l), all asmb_"
suite "$root/build" "release build"
echo "== install"
"$root/tests/install/check.sh" "$root/build"
if [[ $skip != *" docs "* ]]; then
  # Every public declaration documented, no broken doc comment (docs/Doxyfile
  # fails on any warning); HTML in build/docs/html.
  echo "== API reference (doxygen)"
  (cd "$root" && doxygen docs/Doxyfile)
fi

if [[ $skip != *" asan "* ]]; then
  # ASMB_FUZZ adds ctest replays of every committed fuzz corpus and regression input.
  build "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DASMB_SANITIZE=ON -DASMB_FUZZ=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    suite "$root/build-asan" "ASan+UBSan build"
fi

if [[ $skip != *" valgrind "* ]]; then
  build "$root/build-valgrind" -DCMAKE_BUILD_TYPE=Debug \
    "-DASMB_TEST_WRAPPER=valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-origins=yes"
  ASMB_TEST_QUICK=1 suite "$root/build-valgrind" "valgrind memcheck"
fi
if [[ $skip != *" fuzz "* ]]; then
  echo "== fuzzing (libFuzzer, ${ASMB_FUZZ_SECONDS:-30} s per harness; fuzz/run-long.sh for hours)"
  PARALLEL=$jobs "$root/fuzz/run.sh" "${ASMB_FUZZ_SECONDS:-30}"
fi
echo "== all test stages passed"
