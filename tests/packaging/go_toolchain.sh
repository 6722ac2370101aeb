#!/usr/bin/env bash
# scripts/go.sh on a machine whose Go is too old (Debian 12's 1.19): it must
# fetch the pinned Go release from the module proxy, refuse an archive whose
# SHA-256 differs, and keep a Go that is new enough. Downloads ~80 MB.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A PATH with the system's tools and an old go only.
mkdir -p "$work/old"
printf '#!/bin/sh\necho "go version go1.19.8 linux/amd64"\n' >"$work/old/go"
chmod +x "$work/old/go"
base=$work/old:/usr/bin:/bin

dir=$(env PATH="$base" QP_GO_CACHE="$work/cache" bash "$root/scripts/go.sh") ||
  fail "go.sh did not provide a Go with go 1.19 on PATH"
got=$("$dir/go" version)
[[ $got == "go version go1.24.13 linux/amd64" ]] || fail "fetched go says: $got"
# Once fetched, the cache answers (no proxy needed).
again=$(env PATH="$base" QP_GO_CACHE="$work/cache" GOPROXY=file:///nonexistent \
        bash "$root/scripts/go.sh") || fail "the cached Go was not reused"
[[ $again == "$dir" ]] || fail "second call gave $again, not $dir"
# A Go new enough on PATH is used as it is.
kept=$(env PATH="$dir:$base" QP_GO_CACHE="$work/none" bash "$root/scripts/go.sh")
[[ $kept == "$dir" && ! -e $work/none ]] || fail "a new enough go on PATH was not kept ($kept)"

# A proxy serving other bytes under the same name is refused.
mkdir -p "$work/proxy/golang.org/toolchain/@v"
echo "not a toolchain" >"$work/proxy/golang.org/toolchain/@v/v0.0.1-go1.24.13.linux-amd64.zip"
if env PATH="$base" QP_GO_CACHE="$work/cache2" GOPROXY="file://$work/proxy" \
     bash "$root/scripts/go.sh" 2>"$work/err"; then
  fail "a tampered archive was accepted"
fi
grep -q "SHA-256" "$work/err" || fail "no checksum error: $(cat "$work/err")"
[[ ! -e $work/cache2/v0.0.1-go1.24.13.linux-amd64 ]] || fail "a tampered archive was unpacked"
echo "go.sh: fetched go1.24.13, reused it, kept a new enough go, refused a tampered archive"
