#!/usr/bin/env bash
# test_netbios.sh ASMB - the CLI over the NetBIOS session service: Samba
# listens on port 139 (samba.sh run --port 139), where it takes a SESSION
# REQUEST; --netbios makes 139 the default port. Also --cipher.
set -u
ASMB=$1
passed=0 failed=0
check() { # DESCRIPTION COMMAND...
  local d=$1
  shift
  if "$@"; then echo "ok - $d"; passed=$((passed + 1)); else echo "not ok - $d"; failed=$((failed + 1)); fi
}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
auth=(-q -U "$ASMB_TEST_USER%$ASMB_TEST_PASS")
head -c 300000 /dev/urandom >"$W/up.bin"
"$ASMB" "${auth[@]}" --netbios echo smb://127.0.0.1 >"$W/echo" 2>&1
check "--netbios echo on the default port 139" grep -q "127.0.0.1:139: echo ok" "$W/echo"
"$ASMB" "${auth[@]}" --netbios put "$W/up.bin" smb://127.0.0.1/share/nbt.bin
check "--netbios put" test $? = 0
"$ASMB" "${auth[@]}" --netbios get smb://127.0.0.1/share/nbt.bin "$W/down.bin"
check "--netbios get returns the same bytes" cmp -s "$W/up.bin" "$W/down.bin"
"$ASMB" "${auth[@]}" --netbios --encrypt required --cipher AES-256-GCM echo smb://127.0.0.1 >"$W/enc" 2>&1
check "--cipher AES-256-GCM is what gets negotiated" grep -q "encrypted AES-256-GCM" "$W/enc"
"$ASMB" --cipher ROT13 echo smb://127.0.0.1 >/dev/null 2>&1
check "--cipher with an unknown name: usage error (2)" test $? = 2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
