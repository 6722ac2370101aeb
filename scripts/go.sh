#!/usr/bin/env bash
# Prints the bin directory of a Go new enough for libquackpipe's modules
# (the Go binding, the push test double and the benchmarks' go.mod say
# go 1.24): the `go` on PATH when it is, otherwise Go's own release
# 1.24.13, taken once from the Go module proxy into ~/.cache/quackpipe.
#
#   PATH="$(bash scripts/go.sh):$PATH"
#
# Debian 12's golang-go is 1.19 and go.dev may be out of reach; the module
# proxy serves every Go release as the module golang.org/toolchain (what
# `GOTOOLCHAIN` downloads). sum.golang.org may be out of reach too, so the
# archive is checked against the SHA-256 pinned here. GOPROXY (its first
# entry) chooses the proxy; QP_GO_CACHE the directory.
set -euo pipefail

min_minor=24
release=1.24.13
zip_sha256=d2b048367a3d1a748b87f756fa06df12ce3b419e1d5f2a3612acb8950d615f9f
module=golang.org/toolchain
version=v0.0.1-go$release.linux-amd64
cache=${QP_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quackpipe/go}

die() { echo "go.sh: $*" >&2; exit 1; }

# The minor version of the go on PATH, or nothing (Go 1.x only).
path_minor() {
  local v
  v=$(go version 2>/dev/null) || return 0
  [[ $v =~ go1\.([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

minor=$(path_minor)
if [[ -n $minor ]] && ((minor >= min_minor)); then
  dirname "$(command -v go)"
  exit 0
fi

dir=$cache/$version
if [[ -x $dir/bin/go ]]; then
  echo "$dir/bin"
  exit 0
fi

[[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] ||
  die "no Go >= 1.$min_minor on PATH, and only linux-amd64 is pinned here: install one"
command -v curl >/dev/null || die "curl is needed (scripts/setup.sh installs it)"
command -v unzip >/dev/null || die "unzip is needed (scripts/setup.sh installs it)"
proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%[,|]*}
[[ $proxy == off || $proxy == direct ]] && proxy=https://proxy.golang.org
have=missing
[[ -n $minor ]] && have=1.$minor
echo "go.sh: Go on PATH is $have; fetching go$release from $proxy" >&2

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/go.zip" "${proxy%/}/$module/@v/$version.zip" ||
  die "cannot download $module@$version from $proxy"
got=$(sha256sum "$tmp/go.zip" | cut -d' ' -f1)
[[ $got == "$zip_sha256" ]] ||
  die "$module@$version from $proxy has SHA-256 $got, expected $zip_sha256: not used"
unzip -q "$tmp/go.zip" -d "$tmp/x"
"$tmp/x/$module@$version/bin/go" version >/dev/null ||
  die "the downloaded go does not run"
rm -rf "$dir"
mv "$tmp/x/$module@$version" "$dir"
echo "$dir/bin"
