#!/usr/bin/env bash
# The layer rules of DESIGN.md, checked on the source tree:
#  1. the engine and the layers below the transports know no event loop and
#     never reach into src/loop or the blocking API (src/sync.c);
#  2. the CLI is built on the public headers only;
#  3. asmb_fd.h programs get no libuv header.
# Usage: layers.sh SOURCE_DIR C_COMPILER
set -u
src=$1 cc=$2 fail=0
bad() { echo "layers: $*" >&2; fail=1; }

for d in core ops wire auth crypto rpc; do
  hits=$(grep -rnE '#include[[:space:]]*[<"](uv\.h|[./]*loop/)|\buv_[a-z_]+\(|\basmb_sync_[a-z_]+\(|"[./]*sync\.h"' \
         "$src/src/$d" || true)
  [ -z "$hits" ] || bad "src/$d reaches a loop or the blocking API:
$hits"
done
# sync.c may call into the async API, never the other way round: no async file
# defines what sync.c declares.
hits=$(grep -rnE '#include[[:space:]]*"' "$src/tools" | grep -vE '"(cli\.h)"' || true)
[ -z "$hits" ] || bad "tools/ includes private headers:
$hits"
hits=$(grep -rnE '#include[[:space:]]*<asmb/' "$src/tools" | grep -vE '<asmb/asmb(_sync|_fd|_uv|_errno)?\.h>' || true)
[ -z "$hits" ] || bad "tools/ includes an unknown asmb header: $hits"

probe=$(mktemp --suffix=.c)
printf '#include <asmb/asmb_fd.h>\n#ifdef UV_H\n#error "asmb_fd.h pulled in <uv.h>"\n#endif\nint main(void) { return asmb_fd_socket(0) >= -1 ? 0 : 1; }\n' >"$probe"
"$cc" -std=c11 -fsyntax-only -I"$src/include" "$probe" || bad "asmb_fd.h needs libuv headers"
rm -f "$probe"
[ $fail = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
