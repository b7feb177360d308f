#!/usr/bin/env bash
# install-deps.sh - the Debian 12 packages that building asmb and running its tests need
# (compiler, CMake, libuv, OpenSSL, Samba + smbclient for tests/samba/samba.sh, ss/pgrep,
# valgrind, clang with its sanitizer runtimes, doxygen for the API reference, libevent for
# examples/ex_libevent.c, man-db for tests/install/check.sh's man check, python3-impacket
# for tests/cli/test_impacket.sh: a server that signs compounded replies wrongly). Idempotent: does nothing (no apt-get update)
# when every package is already installed. Needs root.
set -euo pipefail

# samba-vfs-modules (shadow_copy2, for the snap share) is only a Recommends of samba:
# listed so that it is there even where apt is set not to install recommends.
pkgs=(build-essential cmake pkg-config libuv1-dev libssl-dev samba samba-vfs-modules smbclient
      iproute2 procps valgrind clang libclang-rt-14-dev doxygen libevent-dev man-db
      python3-impacket)

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
