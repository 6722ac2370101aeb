#!/usr/bin/env bash
# Builds and tests the Go binding, and the Go example, against a libquackpipe
# build tree:
#   bindings/go/run-tests.sh <dir with libquackpipe.so> [go test flags...]
# ctest runs it as the go_binding test. The module finds the library with
# pkg-config (internal/capi/cgo.go): a .pc file written here points it at
# the build tree's library and the source tree's headers.
set -euo pipefail
libdir=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
go=${QP_GO:-go}

pcdir=$(mktemp -d)
trap 'rm -rf "$pcdir"' EXIT
cat >"$pcdir/libquackpipe.pc" <<PC
Name: libquackpipe
Description: libquackpipe of the build tree $libdir
Version: 0
Libs: -L$libdir -lquackpipe
Cflags: -I$src/include
PC
# The go build cache does not track the headers the wrapper includes; a
# digest of them in the C flags makes an edited header rebuild it.
digest=$(cat "$src"/include/*.h "$src"/include/quackpipe/*.h | sha256sum | cut -c1-16)
export CGO_ENABLED=1 GOTOOLCHAIN=local PKG_CONFIG_PATH=$pcdir
export CGO_CFLAGS="-DQPB_HEADERS_DIGEST=$digest ${QP_GO_CFLAGS:-}"
export CGO_LDFLAGS="-Wl,-rpath,$libdir ${QP_GO_LDFLAGS:-}"

# vet the hand-written package; internal/capi is mostly SWIG's output,
# which is not written to vet's taste.
cd "$here/quackpipe"
"$go" vet -unsafeptr=false .
"$go" test -count=1 "$@" ./...
cd "$src/examples/go"
"$go" vet -unsafeptr=false ./...
"$go" test -count=1 "$@" ./...
