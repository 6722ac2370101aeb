#!/usr/bin/env bash
# Generates the Go module's SWIG wrapper, committed so that the module is
# self-contained: `go get` needs neither SWIG nor anything of this
# repository outside bindings/go/quackpipe, only an installed libquackpipe
# (found by pkg-config, internal/capi/cgo.go).
#   bindings/go/generate.sh           rewrite internal/capi/capi.go and capi_wrap.c
#   bindings/go/generate.sh --check   fail, with a diff, when they are not
#                                     what bindings/swig/ and include/ give
# Run it after editing bindings/swig/ or a public header; ctest runs the
# check (go_wrapper_current). The SWIG version line is left out of the
# comparison: another SWIG release may write its own number.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=bindings/go/quackpipe/internal/capi
swig=${SWIG:-swig}
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Relative paths: the generated files name their source, and must not name
# the machine's directories.
"$swig" -go -cgo -intgosize 64 -module capi -Iinclude -Ibindings/swig \
	-o "$tmp/capi_wrap.c" -outdir "$tmp" bindings/swig/quackpipe.i
if [[ ${1:-} != --check ]]; then
	cp "$tmp/capi.go" "$tmp/capi_wrap.c" "$out/"
	echo "generate.sh: wrote $out/capi.go and $out/capi_wrap.c"
	exit 0
fi
status=0
for f in capi.go capi_wrap.c; do
	if ! diff -u -I '^ \* Version ' "$out/$f" "$tmp/$f" >"$tmp/$f.diff"; then
		head -40 "$tmp/$f.diff" >&2
		echo "generate.sh: $out/$f is not current: run bindings/go/generate.sh and commit" >&2
		status=1
	fi
done
[[ $status != 0 ]] || echo "generate.sh: the Go wrapper is current"
exit $status
