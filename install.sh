#!/usr/bin/env bash
# Builds the NativeAOT withcache-shim and installs it into a prefix; --uninstall removes what it installed.
#
# Layout (PREFIX defaults to ~/.local):
#   PREFIX/lib/withcache/withcache-shim      the binary (one file, no runtime needed)
#   PREFIX/lib/withcache/installed           what this script created, for --uninstall
#   PREFIX/bin/withcache-shim                symlinks to the binary: the shim picks curl or wget by the
#   PREFIX/bin/curlwithcache                 name it is called as
#   PREFIX/bin/wgetwithcache
#   PREFIX/lib/withcache/shadow/{curl,wget}  only with --shadow: links named like the real tools, in a folder
#                                            of their own that nothing puts on PATH by itself
# The binary lives outside bin/ so that bin/ (often on PATH already, like ~/.local/bin) never holds a "curl":
# shadowing the real tools is always a PATH choice the user makes (docs/shadowing.md), never a side effect.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ./install.sh [--prefix DIR] [--shadow]
       ./install.sh --uninstall [--prefix DIR]

Builds the NativeAOT withcache-shim (dotnet publish, needs the .NET SDK and clang or gcc) and installs:
  PREFIX/lib/withcache/withcache-shim         the shim
  PREFIX/bin/{withcache-shim,curlwithcache,wgetwithcache}   links to it
  PREFIX/lib/withcache/shadow/{curl,wget}     links to it, with --shadow only

Options:
  --prefix DIR   where to install (default: ~/.local)
  --shadow       also make the shadow folder; put it first on PATH to shadow curl and wget
                 (see docs/shadowing.md): installing never changes PATH
  --uninstall    remove exactly what an earlier install into PREFIX created
  -h, --help     print this text
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

prefix="${HOME:?HOME is not set: give --prefix}/.local"
shadow=0
uninstall=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --shadow) shadow=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || die "--prefix is empty"
# One spelling of the prefix, whichever way it was given: the links and --uninstall compare absolute paths.
prefix="$(realpath -m -- "$prefix")"
[ "$prefix" != / ] || die "refusing to install into /: use --prefix /usr/local"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
libdir="$prefix/lib/withcache"
bindir="$prefix/bin"
shadowdir="$libdir/shadow"
binary="$libdir/withcache-shim"
manifest="$libdir/installed"
names=(withcache-shim curlwithcache wgetwithcache)
shadow_names=(curl wget)

# Paths this script created, oldest first. Kept across reinstalls, so --uninstall undoes every run.
created=()
remember() {
  local entry
  for entry in ${created[@]+"${created[@]}"}; do
    [ "$entry" = "$1" ] && return 0
  done
  created+=("$1")
}

# mkdir -p that remembers each folder it had to create (outermost first), and only those.
make_dir() {
  local dir="$1" missing=()
  while [ ! -d "$dir" ]; do
    missing=("$dir" ${missing[@]+"${missing[@]}"})
    dir="$(dirname "$dir")"
  done
  for dir in ${missing[@]+"${missing[@]}"}; do
    mkdir "$dir"
    remember "$dir"
  done
}

# A path we may (re)place: absent, or a link to our binary from an earlier install.
ours_or_free() {
  [ ! -e "$1" ] && [ ! -L "$1" ] && return 0
  [ -L "$1" ] && [ "$(readlink "$1")" = "$binary" ]
}

link() {
  ln -sfn "$binary" "$2/$1"
  remember "$2/$1"
}

do_uninstall() {
  if [ ! -f "$manifest" ]; then
    echo "nothing to uninstall: $manifest does not exist"
    return 0
  fi
  local entries=() entry i
  mapfile -t entries <"$manifest"
  rm -f "$manifest"
  for ((i = ${#entries[@]} - 1; i >= 0; i--)); do
    entry="${entries[i]}"
    if [ -L "$entry" ]; then
      if [ "$(readlink "$entry")" = "$binary" ]; then
        rm -f "$entry" && echo "removed $entry"
      else
        echo "kept $entry: it no longer links to $binary"
      fi
    elif [ -f "$entry" ]; then
      if [ "$entry" = "$binary" ]; then
        rm -f "$entry" && echo "removed $entry"
      else
        echo "kept $entry: not installed by this script"
      fi
    elif [ -d "$entry" ]; then
      if rmdir "$entry" 2>/dev/null; then
        echo "removed $entry/"
      else
        echo "kept $entry/: not empty"
      fi
    fi
  done
}

if [ "$uninstall" -eq 1 ]; then
  do_uninstall
  exit 0
fi

# Check before the build (which takes a while) that nothing of someone else's would be overwritten.
for name in "${names[@]}"; do
  ours_or_free "$bindir/$name" || die "$bindir/$name exists and is not a link to $binary: move it away first"
done
if [ "$shadow" -eq 1 ]; then
  for name in "${shadow_names[@]}"; do
    ours_or_free "$shadowdir/$name" || die "$shadowdir/$name exists and is not a link to $binary: move it away first"
  done
fi
if [ -e "$binary" ] && [ ! -f "$manifest" ]; then
  die "$binary exists but was not installed by this script (no $manifest): move it away first"
fi

[ "$(uname -s)" = Linux ] || die "the shim runs on Linux only"
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64) rid=linux-arm64 ;;
  *) die "no NativeAOT build for $(uname -m): build for linux-x64 or linux-arm64" ;;
esac
command -v dotnet >/dev/null || die "dotnet is not on PATH: install the .NET 10 SDK"
command -v clang >/dev/null || command -v gcc >/dev/null \
  || die "NativeAOT links with clang (or gcc), and neither is on PATH: e.g. apt-get install clang"

stage="$(mktemp -d "${TMPDIR:-/tmp}/withcache-install.XXXXXX")"
installing=0
# Whatever happens once the install has begun, the manifest lists what exists by then, so --uninstall works.
finish() {
  if [ "$installing" -eq 1 ] && [ -d "$libdir" ]; then
    printf '%s\n' "${created[@]}" >"$manifest"
  fi
  rm -rf "$stage"
}
trap finish EXIT
echo "building withcache-shim for $rid (NativeAOT, about half a minute)..."
# The build's bin/ and obj/ go to the temp folder, not the checkout: the install does not race a build or test
# run in the same tree, and as root it leaves no root-owned files behind. No build servers: nothing keeps running.
dotnet publish "$repo/src/WithCache.Shim" -c Release -r "$rid" \
  --artifacts-path "$stage/build" -o "$stage/out" --nologo --disable-build-servers -v quiet
[ -x "$stage/out/withcache-shim" ] || die "the build did not produce withcache-shim"

if [ -f "$manifest" ]; then
  mapfile -t created <"$manifest"
fi
installing=1
make_dir "$libdir"
remember "$binary"
# Copy then rename: a shim running from the old binary keeps it, and nobody sees a half-written file.
cp "$stage/out/withcache-shim" "$binary.new.$$"
chmod 0755 "$binary.new.$$"
mv -f "$binary.new.$$" "$binary"
make_dir "$bindir"
for name in "${names[@]}"; do
  link "$name" "$bindir"
done
if [ "$shadow" -eq 1 ]; then
  make_dir "$shadowdir"
  for name in "${shadow_names[@]}"; do
    link "$name" "$shadowdir"
  done
fi
version="$("$binary" --version)"
echo
echo "installed $version into $prefix:"
echo "  $binary"
for name in "${names[@]}"; do
  echo "  $bindir/$name -> $binary"
done
for name in "${shadow_names[@]}"; do
  if [ -L "$shadowdir/$name" ]; then
    echo "  $shadowdir/$name -> $binary"
  fi
done
echo
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "note: $bindir is not on PATH; add it to call curlwithcache and wgetwithcache by name" && echo ;;
esac
echo "use it by name:      WITHCACHE_SERVER=cache-host:3000 curlwithcache -fLO URL"
if [ -d "$shadowdir" ]; then
  echo "shadow curl and wget in this shell (docs/shadowing.md has the other ways):"
  echo "  export PATH=\"$shadowdir:\$PATH\"; export WITHCACHE_SERVER=cache-host:3000"
else
  echo "to shadow curl and wget too, run again with --shadow (docs/shadowing.md)"
fi
echo "uninstall:           $repo/install.sh --uninstall --prefix $prefix"
