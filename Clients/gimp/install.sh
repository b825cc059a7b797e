#!/usr/bin/env bash
# Builds the MaskGIT GIMP 2.10 plug-in and installs it with gimptool-2.0.
#
#   Clients/gimp/install.sh                     into your GIMP profile (~/.config/GIMP/2.10)
#   Clients/gimp/install.sh --profile DIR       into the GIMP profile DIR (GIMP2_DIRECTORY)
#   Clients/gimp/install.sh --admin             system-wide (gimptool-2.0 --install-admin-bin)
#   Clients/gimp/install.sh --server PATH       the maskgit-rpc to use (default: this repo's
#                                               .build/release/maskgit-rpc, if built)
#   Clients/gimp/install.sh --server-args ARGS  extra server flags, e.g. "--model /abs/dir"
#
# Idempotent: re-running rebuilds and replaces the plug-in and its config file. The config file
# (maskgit-gimp.conf next to the plug-in) is read when MASKGIT_RPC / MASKGIT_RPC_ARGS are unset
# and no maskgit-rpc is on PATH.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,15p' "$0"; exit 0 ;; esac
if ! command -v gimptool-2.0 >/dev/null 2>&1; then
  echo "install.sh: gimptool-2.0 not found. Install GIMP 2.10's development files first:" >&2
  echo "  sudo apt-get install gimp libgimp2.0-dev      (Debian/Ubuntu; or scripts/setup --gimp)" >&2
  exit 1
fi
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
profile="" admin=0 server="" server_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --admin) admin=1; shift ;;
    --server) server="$2"; shift 2 ;;
    --server-args) server_args="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$server" ] && [ -x "$repo/.build/release/maskgit-rpc" ]; then
  server="$repo/.build/release/maskgit-rpc"
fi
# GIMP 2.10 runs its first-run set-up (creating brushes/, gradients/, ... and copying its
# defaults) only when the profile folder does not exist yet; a profile that holds nothing but the
# plug-ins/ folder made here would skip it, and GIMP would then complain about missing data
# folders. So a profile that does not exist yet is first created by GIMP itself, headless.
if [ "$admin" = 0 ]; then
  if [ -n "$profile" ]; then
    case "$profile" in /*) ;; *) profile="$PWD/$profile" ;; esac
    export GIMP2_DIRECTORY="$profile"
  fi
  profile_dir="${GIMP2_DIRECTORY:-$HOME/.config/GIMP/2.10}"
  if [ ! -d "$profile_dir" ]; then
    if command -v gimp-console-2.10 >/dev/null 2>&1; then
      echo "install.sh: $profile_dir does not exist; letting GIMP create it (its first-run set-up)"
      GIMP2_DIRECTORY="$profile_dir" timeout 300 gimp-console-2.10 -i -d -f --no-splash -b '(gimp-quit 0)' \
        >/dev/null 2>&1 || true
    fi
    [ -d "$profile_dir/brushes" ] || {
      echo "install.sh: $profile_dir does not exist and GIMP did not create it: start GIMP once, then rerun" >&2
      exit 1
    }
  fi
fi

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
# gimptool-2.0 --install builds one source file; the plug-in has a few, so compile with its
# flags and install the binary with gimptool-2.0 --install-bin.
cc="${CC:-}"
for c in cc gcc clang; do [ -n "$cc" ] && break; command -v "$c" >/dev/null 2>&1 && cc="$c"; done
[ -n "$cc" ] || { echo "install.sh: no C compiler (cc, gcc or clang) found; install gcc" >&2; exit 1; }
"$cc" -O2 -Wall -Wno-deprecated-declarations -std=gnu99 $(gimptool-2.0 --cflags) -o "$build/maskgit-gimp" \
  "$here"/maskgit-gimp.c "$here"/backend.c "$here"/backend-process.c "$here"/client.c "$here"/extension.c "$here"/dialog.c \
  $(gimptool-2.0 --libs)
if [ "$admin" = 1 ]; then
  gimptool-2.0 --quiet --install-admin-bin "$build/maskgit-gimp"
  dest="$(gimptool-2.0 --gimpplugindir)/plug-ins"   # --install-admin-bin uses no sub-folder
else
  gimptool-2.0 --quiet --install-bin "$build/maskgit-gimp"
  dest="${GIMP2_DIRECTORY:-$HOME/.config/GIMP/2.10}/plug-ins/maskgit-gimp"
fi
[ -x "$dest/maskgit-gimp" ] || { echo "install.sh: expected the plug-in at $dest/maskgit-gimp" >&2; exit 1; }
{
  echo "# Written by Clients/gimp/install.sh; MASKGIT_RPC and MASKGIT_RPC_ARGS override these."
  echo "[backend]"
  echo "path=$server"
  echo "args=$server_args"
} > "$dest/maskgit-gimp.conf"
echo "Installed $dest/maskgit-gimp (backend: ${server:-maskgit-rpc on PATH or \$MASKGIT_RPC})"
echo "Restart GIMP; the procedures are under Filters > MaskGIT."
