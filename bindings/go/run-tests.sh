#!/usr/bin/env bash
# Builds and tests the Go binding, and the Go example, against a libquackpipe
# build tree:
#   bindings/go/run-tests.sh <dir with libquackpipe.so> [go test flags...]
# ctest runs it as the go_binding test. `go build` generates the SWIG wrapper
# itself (internal/capi/capi.swig); nothing generated lands in the source tree.
set -euo pipefail
libdir=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
go=${QP_GO:-go}

# The go build cache keys on capi.swig but not on the files it %includes; a
# digest of those in the C flags makes an edited typemap or header rebuild it.
digest=$(cat "$src"/bindings/swig/*.i "$src"/bindings/swig/typemaps/*.i \
             "$src"/include/*.h "$src"/include/quackpipe/*.h | sha256sum | cut -c1-16)
export CGO_ENABLED=1 GOTOOLCHAIN=local
export CGO_CFLAGS="-I$src/include -DQPB_SWIG_DIGEST=$digest ${QP_GO_CFLAGS:-}"
export CGO_LDFLAGS="-L$libdir -Wl,-rpath,$libdir ${QP_GO_LDFLAGS:-}"

# vet the hand-written packages; vet cannot analyse SWIG's generated files
# (it looks for them in go build's temporary directory).
cd "$here/quackpipe"
"$go" vet -unsafeptr=false .
"$go" test -count=1 "$@" ./...
cd "$src/examples/go"
"$go" vet -unsafeptr=false ./...
"$go" test -count=1 "$@" ./...
