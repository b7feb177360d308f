#!/usr/bin/env bash
# tests/install/check.sh BUILD_DIR: install asmb into a temporary prefix and
# check it as a packaged tool and library: examples/demo.c, every
# examples/ex_*.c and README's first C program build against it with
# pkg-config and with CMake under a strict -std=c11 and no feature macro of
# our own (asmb.pc must not force -D_GNU_SOURCE); the installed bin/asmb runs
# without LD_LIBRARY_PATH; man finds its page.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
unset LD_LIBRARY_PATH
fail() { echo "install: $*" >&2; exit 1; }

if pkg-config --cflags asmb | grep -q -- '-D'; then
  fail "asmb.pc forces a macro on its users: $(pkg-config --cflags asmb)"
fi
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

# README's first C program (section "Using the library"), taken from README.md
# so that it can't drift: it builds, and exits (here: nothing listens on
# 127.0.0.1:445 of a test machine, or the user is refused) instead of running on.
awk '/^## Using the library/ {s = 1} s && /^```c$/ {c = 1; next} c && /^```$/ {exit} c' \
  "$root/README.md" >"$prefix/readme.c"
grep -q 'int main' "$prefix/readme.c" || fail "no C program under 'Using the library' in README.md"
cc -std=c11 -Wall -Werror $(pkg-config --cflags asmb) "$prefix/readme.c" -o "$prefix/readme" \
  $(pkg-config --libs asmb) -Wl,-rpath,"$prefix/lib"
rc=0
timeout 30 "$prefix/readme" 127.0.0.1 >"$prefix/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "README's program: exit status $rc (want 1: it ends once the connection did): $(cat "$prefix/out")"

# CMake package, strict C11 (tests/install/CMakeLists.txt)
cmake -S "$root/tests/install" -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-build" >/dev/null
for p in "$prefix"/cmake-build/demo "$prefix"/cmake-build/ex_*; do runs "$p"; done
readelf -d "$prefix/lib/libasmb.so" | grep -q 'SONAME.*libasmb.so.1'

# The tool as installed: no LD_LIBRARY_PATH (an RPATH relative to the binary).
"$prefix/bin/asmb" --version | grep -qE '^asmb [0-9]' || fail "bin/asmb --version failed"
readelf -d "$prefix/bin/asmb" | grep -qE '(RPATH|RUNPATH).*\$ORIGIN/\.\./lib' ||
  fail "bin/asmb has no \$ORIGIN/../lib RPATH"
# man: the page is installed where man looks (man-db: tests/samba/install-deps.sh).
[ -f "$prefix/share/man/man1/asmb.1" ] || fail "share/man/man1/asmb.1 not installed"
if command -v man >/dev/null; then
  man -l "$prefix/share/man/man1/asmb.1" 2>/dev/null | grep -q 'smb://' || fail "man -l asmb.1"
  MANPATH="$prefix/share/man" man -w asmb | grep -qx "$prefix/share/man/man1/asmb.1" ||
    fail "MANPATH=$prefix/share/man man asmb does not find the page"
  MANPATH="$prefix/share/man" MANPAGER=cat man asmb 2>/dev/null | grep -q 'smb://' ||
    fail "MANPATH=... man asmb shows nothing"
else
  fail "man is missing (tests/samba/install-deps.sh installs man-db)"
fi
echo "install: demo, every example and README's program build against the installed asmb with pkg-config (shared, static) and find_package(asmb) under -std=c11 without -D_GNU_SOURCE; SONAME libasmb.so.1; bin/asmb runs without LD_LIBRARY_PATH; man asmb finds the page"
