#!/usr/bin/env bash
# Everything a fresh machine needs before the workbook runs: OS packages (ffmpeg for video, chromium for PNG figures),
# the pinned local .NET tools, and a Release build (which also patches libtorch for Debian 12, see patch-glibcxx.sh).
# Safe to run again: each step is skipped or incremental when already done.
# Usage: tools/setup.sh [--cuda]   (--cuda, or MJVIDEO_TORCH=cuda, builds against the CUDA libtorch; see environment.md)
set -euo pipefail
cd "$(dirname "$0")/.."
torch="${MJVIDEO_TORCH:-cpu}"
for argument in "$@"; do
  case "$argument" in
    --cuda) torch=cuda ;;
    --cpu) torch=cpu ;;
    *) echo "setup: unknown option $argument (use --cuda or --cpu)" >&2; exit 2 ;;
  esac
done

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v readelf >/dev/null 2>&1 || missing+=(binutils)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]}; install them (e.g. sudo apt-get install -y ${missing[*]}) and rerun" >&2
    exit 1
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
echo "setup: building (Release, libtorch $torch)"
dotnet build MjVideo.slnx -c Release -v quiet -nologo -clp:ErrorsOnly -p:MjVideoTorch="$torch"
