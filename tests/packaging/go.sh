#!/usr/bin/env bash
# The Go module used the way `go get` users use it (ctest: packaging_go): a
# program in a fresh module outside the tree, whose `replace` points at a
# copy of bindings/go/quackpipe alone (nothing else of the repository beside
# it), builds with only PKG_CONFIG_PATH set against the library installed by
# `cmake --install` into a scratch prefix, and runs with the library found
# through LD_LIBRARY_PATH, then through an RPATH given at link time (the two
# ways docs/bindings.md gives for a library outside the default search path).
#   tests/packaging/go.sh <build dir> <go>
set -euo pipefail
build=$(cd "$1" && pwd) go=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "packaging_go: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
pcdir=$(dirname "$(find "$work/prefix" -name libquackpipe.pc | head -1)")
libdir=$(dirname "$pcdir")

mkdir -p "$work/elsewhere" "$work/app"
cp -r "$src/bindings/go/quackpipe" "$work/elsewhere/quackpipe"
cat >"$work/app/go.mod" <<MOD
module example.com/app

go 1.24

require github.com/libquackpipe/libquackpipe/bindings/go/quackpipe v0.0.0

replace github.com/libquackpipe/libquackpipe/bindings/go/quackpipe => ../elsewhere/quackpipe
MOD
cat >"$work/app/main.go" <<'GO'
package main

import (
	"fmt"
	"os"

	"github.com/libquackpipe/libquackpipe/bindings/go/quackpipe"
)

func main() {
	line := []byte(`{"schema_version":1,"scan_id":"0b7e2c1a-5d0e-4f6b-9a59-1f2d3c4b5a69","device_id":"dev-1","ts_ms":1767225600000,` +
		`"gps":{"lat":48.85,"lon":2.35,"accuracy_m":5},"wifi":[],"cell":[],"ble":[],"reward":0,"app_version":"1.0","platform":"ios"}`)
	ev, err := quackpipe.Decode(line)
	if err != nil {
		fmt.Fprintln(os.Stderr, "decode:", err)
		os.Exit(1)
	}
	fmt.Printf("quackpipe %s: decoded %s from %s\n", quackpipe.Version(), ev.ScanID, ev.DeviceID)
}
GO

clean() { env -i PATH="$(dirname "$go"):/usr/bin:/bin" HOME="$HOME" GOTOOLCHAIN=local "$@"; }
cd "$work/app"
clean PKG_CONFIG_PATH="$pcdir" "$go" build -o app . || fail "go build with only PKG_CONFIG_PATH set failed"
if clean ./app >/dev/null 2>&1; then
	fail "the program ran without finding the library: the test does not test the search path"
fi
clean LD_LIBRARY_PATH="$libdir" ./app
clean PKG_CONFIG_PATH="$pcdir" CGO_LDFLAGS="-Wl,-rpath,$libdir" "$go" build -o app-rpath .
clean ./app-rpath
echo "packaging_go: a module outside the tree built with only PKG_CONFIG_PATH and ran: ok"
