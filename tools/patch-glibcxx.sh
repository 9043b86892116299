#!/usr/bin/env bash
# Makes libLibTorchSharp.so load on Debian 12. TorchSharp 0.107's native shim was linked with GCC 13 and asks for
# GLIBCXX_3.4.32, but the only symbol it takes from that version (_ZSt21ios_base_library_initv) is a link-time marker
# with no relocation. Marking the version requirement WEAK in the ELF verneed table lets glibc load the library.
# Idempotent; a no-op where the system libstdc++ already provides the version. Needs readelf and dd (binutils).
set -euo pipefail
f="$1"; ver="${2:-GLIBCXX_3.4.32}"
libstdcxx=/usr/lib/x86_64-linux-gnu/libstdc++.so.6
if [ -e "$libstdcxx" ] && strings "$libstdcxx" | grep -qx "$ver"; then exit 0; fi
command -v readelf >/dev/null || { echo "patch-glibcxx: readelf not found (install binutils)" >&2; exit 1; }
secoff=$(readelf -WV "$f" | awk '/Version needs section/{getline; for(i=1;i<=NF;i++) if($i=="Offset:") print $(i+1)}')
line=$(readelf -WV "$f" | sed -n '/Version needs section/,$p' | grep -E "Name: $ver " || true)
[ -z "$line" ] && exit 0
rel=$(echo "$line" | awk '{print $1}' | tr -d ':')
flags=$(echo "$line" | awk '{for(i=1;i<=NF;i++) if($i=="Flags:") print $(i+1)}')
[ "$flags" = "WEAK" ] && exit 0
off=$(( secoff + rel + 4 ))   # Elf64_Vernaux: vna_hash (4 bytes), then vna_flags (2 bytes)
printf '\x02' | dd of="$f" bs=1 seek="$off" count=1 conv=notrunc status=none
echo "patch-glibcxx: marked $ver weak in $f"
