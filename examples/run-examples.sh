#!/usr/bin/env bash
# examples/run-examples.sh BUILD_DIR [WRAPPER ...]
# Runs every built example program (BUILD_DIR/examples/ex_*) against one
# throwaway Samba (tests/samba/samba.sh run: shares share, snap, enc, ...),
# one after the other, each as
#     [WRAPPER ...] ex_NAME HOST PORT USER PASSWORD ARGS...   (ARGS: args_for)
# and fails when any exits non-zero. WRAPPER is e.g. valgrind and its options
# (ctest passes ASMB_TEST_WRAPPER). ASMB_EXAMPLES="ex_files ex_dirs" runs only
# those. Exit 77 (skipped) when Samba can't run here (not root, no smbd).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# The arguments after USER PASSWORD, one a line, per example: the share it
# works on ("share" unless listed). Add a line when a new example needs more.
args_for() {
  case "$1" in
    ex_shares) echo snap ;;   # shadow_copy2: f.txt "old" in the snapshot, "new" live
    ex_security) echo enc ;;  # smb encrypt = required
    *) echo share ;;
  esac
}

if [ "${1:-}" != --inside ]; then
  [ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [WRAPPER ...]" >&2; exit 2; }
  build=$(cd "$1" && pwd); shift
  exec "$root/tests/samba/samba.sh" run -- "$0" --inside "$build" "$@"
fi

# Inside samba.sh run: ASMB_TEST_HOST/PORT/USER/PASS describe the server.
build=$2; shift 2
wrapper=("$@")
progs=()
for p in "$build"/examples/ex_*; do
  [ -x "$p" ] && [ -f "$p" ] || continue
  name=$(basename "$p")
  if [ -n "${ASMB_EXAMPLES:-}" ] && [[ " $ASMB_EXAMPLES " != *" $name "* ]]; then continue; fi
  progs+=("$p")
done
[ ${#progs[@]} -gt 0 ] || { echo "run-examples: no ex_* program in $build/examples" >&2; exit 1; }

failed=()
for p in "${progs[@]}"; do
  name=$(basename "$p")
  mapfile -t extra < <(args_for "$name")
  echo "== $name"
  rc=0
  timeout 600 "${wrapper[@]}" "$p" "$ASMB_TEST_HOST" "$ASMB_TEST_PORT" "$ASMB_TEST_USER" \
    "$ASMB_TEST_PASS" "${extra[@]}" || rc=$?
  if [ $rc -eq 0 ]; then echo "-- $name: ok"; else echo "-- $name: FAILED (exit $rc)"; failed+=("$name"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-examples: ${#failed[@]} of ${#progs[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "run-examples: all ${#progs[@]} examples passed"
