#!/bin/sh
# Packs what `make install` of a built source tree puts on a host, as a tarball to unpack at /,
# and prints the packages (one per line) owning the shared libraries its programs link against:
# what a host needs to run the build without a compiler or -dev packages.
# Usage: pack-artifact.sh SRC OUT.tar.gz   (SRC: a configured and compiled source tree)
set -eu
src=$1 out=$2
stage=$(dirname "$out")/stage
rm -rf "$stage"
make -C "$src" install DESTDIR="$stage" >/dev/null
# usrmerge: /lib, /bin, /sbin are symlinks into /usr here, and on every host of this platform.
# Unpacking a directory `lib/` at / would replace such a symlink (GNU tar does): file the
# staged files under the symlink's target instead.
for d in "$stage"/*; do
  n=${d##*/}
  if [ -L "/$n" ] && [ -d "/$n" ]; then
    t=$(readlink -f "/$n")
    mkdir -p "$stage$t"
    cp -a "$d/." "$stage$t/"
    rm -rf "$d"
  fi
done
tar -C "$stage" -czf "$out.tmp" .
mv -f "$out.tmp" "$out"

libs=$(find "$stage" -type f -perm -u+x -exec ldd {} + 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
[ -n "$libs" ] || { echo "pack-artifact.sh: no dynamically linked program under $stage" >&2; exit 1; }
for f in $libs; do
  r=$(readlink -f "$f")
  owner=
  if command -v dpkg >/dev/null 2>&1; then
    # dpkg knows a library under the path its package shipped: /lib or /usr/lib
    for p in "$f" "$r" "${f#/usr}" "/usr$f" "${r#/usr}" "/usr$r"; do
      owner=$(dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1)
      [ -z "$owner" ] || break
    done
  else
    owner=$(rpm -qf --qf '%{NAME}\n' "$r" 2>/dev/null | head -n 1)
  fi
  [ -n "$owner" ] || { echo "pack-artifact.sh: no package owns $f" >&2; exit 1; }
  echo "$owner"
done | sort -u
