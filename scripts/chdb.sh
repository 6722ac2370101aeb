#!/usr/bin/env bash
# scripts/chdb.sh: makes the embedded ClickHouse (libchdb) available and
# prints the path of libchdb.so on stdout (and of chdb.h on a second line
# when the package ships one; @chdb/lib-linux-x64-gnu does not).
#
# libchdb comes from the npm package @chdb/lib-linux-x64-gnu, installed with
# npm into a cache directory the library also searches by default, so
# qp.inserter.backend=embedded works without setting qp.inserter.chdb.path.
#
# Environment:
#   QP_CHDB_CACHE    cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/quackpipe/chdb)
#   QP_CHDB_VERSION  package version (default 26.5.3, the one tested)
set -euo pipefail

version=${QP_CHDB_VERSION:-26.5.3}
cache=${QP_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quackpipe/chdb}
pkg=$cache/node_modules/@chdb/lib-linux-x64-gnu
lib=$pkg/libchdb.so

die() { echo "chdb.sh: $*" >&2; exit 1; }

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] ||
  die "the npm package ships libchdb for linux x86_64 (glibc) only; this is $(uname -sm)"

installed_version() {
  [[ -f $pkg/package.json ]] || return 1
  sed -nE 's/.*"version": *"([^"]+)".*/\1/p' "$pkg/package.json"
}

if [[ ! -f $lib || $(installed_version || true) != "$version" ]]; then
  command -v npm >/dev/null || die "npm is needed to fetch @chdb/lib-linux-x64-gnu (apt-get install npm)"
  mkdir -p "$cache"
  # One installer at a time; a second caller waits, then finds the library.
  exec 9>"$cache/.lock"
  flock 9
  if [[ ! -f $lib || $(installed_version || true) != "$version" ]]; then
    echo "chdb.sh: installing @chdb/lib-linux-x64-gnu@$version into $cache (about 560 MB)" >&2
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error \
      "@chdb/lib-linux-x64-gnu@$version" >&2 || die "npm install failed"
  fi
  [[ -f $lib ]] || die "npm install finished but $lib is missing"
fi

echo "$lib"
for header in "$pkg/chdb.h" "$pkg/include/chdb.h"; do
  [[ -f $header ]] && echo "$header"
done
exit 0
