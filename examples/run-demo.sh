#!/usr/bin/env bash
# examples/run-demo.sh - install what is needed, build, start a throwaway Samba
# on 127.0.0.1 and run the demo against it, then stop the server (Debian 12, root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tests/samba/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target demo >/dev/null
# samba.sh run exports ASMB_TEST_HOST/PORT/USER/PASS for the command it runs.
exec "$root/tests/samba/samba.sh" run -- bash -c \
  '"$0" "$ASMB_TEST_HOST" "$ASMB_TEST_PORT" "$ASMB_TEST_USER" "$ASMB_TEST_PASS" share' \
  "$root/build/examples/demo"
