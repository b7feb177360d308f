#!/usr/bin/env bash
# tests/install/check.sh BUILD_DIR: install asmb into a temporary prefix and
# build examples/demo.c and every examples/ex_*.c against it with pkg-config
# and with CMake.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# pkg-config, shared
cc -std=c11 $(pkg-config --cflags asmb) "$root/examples/demo.c" -o "$prefix/demo-pc" \
  $(pkg-config --libs asmb) -Wl,-rpath,"$prefix/lib"
runs() { "$1" > "$prefix/out" 2>&1 || true; grep -q usage "$prefix/out"; } # prints its usage
runs "$prefix/demo-pc"
# pkg-config, static
cc -std=c11 $(pkg-config --cflags asmb) "$root/examples/demo.c" -o "$prefix/demo-static" \
  "$prefix/lib/libasmb.a" $(pkg-config --libs-only-other --libs-only-L libuv libcrypto) -luv -lcrypto
runs "$prefix/demo-static"
# pkg-config: every example, as a user would build it
for src in "$root"/examples/ex_*.c; do
  name=$(basename "$src" .c)
  extra=""
  [ "$name" = ex_libevent ] && extra=$(pkg-config --cflags --libs libevent)
  cc -std=c11 -Wall -Wextra $(pkg-config --cflags asmb) "$src" -o "$prefix/$name" \
    $(pkg-config --libs asmb) $extra -Wl,-rpath,"$prefix/lib"
  runs "$prefix/$name"
done
# CMake package
cmake -S "$root/tests/install" -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-build" >/dev/null
for p in "$prefix"/cmake-build/demo "$prefix"/cmake-build/ex_*; do runs "$p"; done
readelf -d "$prefix/lib/libasmb.so" | grep -q 'SONAME.*libasmb.so.1'
echo "install: demo and every example build against the installed asmb with pkg-config (shared, static) and find_package(asmb); SONAME libasmb.so.1"
