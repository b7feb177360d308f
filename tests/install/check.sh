#!/usr/bin/env bash
# tests/install/check.sh BUILD_DIR: install asmb into a temporary prefix and
# build examples/demo.c against it with pkg-config and with CMake.
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
# CMake package
cmake -S "$root/tests/install" -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-build" >/dev/null
runs "$prefix/cmake-build/demo"
readelf -d "$prefix/lib/libasmb.so" | grep -q 'SONAME.*libasmb.so.0'
echo "install: pkg-config (shared, static) and find_package(asmb) builds work; SONAME libasmb.so.0"
