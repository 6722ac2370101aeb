#!/usr/bin/env bash
# The Python package installed the way users install it (ctest: packaging_python):
#   1. `pip install ./bindings/python` in a fresh virtualenv, against the
#      library installed by `cmake --install` into a scratch prefix and found
#      by pkg-config; a script then runs with no environment variable set
#      (the module's RUNPATH finds the library);
#   2. an import that cannot work says why: extension missing, built for
#      another Python, library gone;
#   3. an sdist, installed into a second virtualenv with no libquackpipe to
#      be found: the library is built from the sources it carries.
# pip fetches scikit-build-core (and CMake when the system's is too old) from PyPI.
#   tests/packaging/python.sh <build dir> <python>
set -euo pipefail
build=$(cd "$1" && pwd) python=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "packaging_python: $*" >&2; exit 1; }

# Compiles with two jobs (a shared 2-core CI machine) unless told otherwise.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
cmake --install "$build" --prefix "$work/prefix" >/dev/null
pcdir=$(dirname "$(find "$work/prefix" -name libquackpipe.pc | head -1)")
# pip builds in a copy of the package directory: copy it the way a user's
# checkout is, so nothing the tree's own builds left behind takes part.
mkdir -p "$work/src/bindings"
cp -r "$src/CMakeLists.txt" "$src/include" "$src/src" "$src/cmake" "$src/pkgconfig" "$work/src/"
mkdir -p "$work/src/examples" && cp -r "$src/examples/c" "$work/src/examples/"
cp -r "$src/bindings/CMakeLists.txt" "$src/bindings/swig" "$src/bindings/python" "$work/src/bindings/"
rm -rf "$work/src/bindings/python/build" "$work/src/bindings/python/quackpipe/__pycache__"

cat > "$work/use.py" <<'PY'
import importlib.metadata, sys
import quackpipe
assert importlib.metadata.version("quackpipe") == quackpipe.version(), \
    (importlib.metadata.version("quackpipe"), quackpipe.version())
ok = bad = 0
for line in open(sys.argv[1], "rb"):
    try:
        quackpipe.decode(line)
        ok += 1
    except quackpipe.Error as e:
        bad += 1
print(f"quackpipe {quackpipe.version()}: {ok} valid, {bad} invalid")
assert ok > 0
PY
run_clean() { env -i PATH=/usr/bin:/bin "$@"; }

echo "== 1. pip install against the installed library"
"$python" -m venv "$work/venv"
PKG_CONFIG_PATH=$pcdir "$work/venv/bin/pip" install -q "$work/src/bindings/python"
pkg="$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')/quackpipe"
ext=$(ls "$pkg"/_capi.*.so)
readelf -d "$ext" >"$work/dynamic.txt"
grep -q "NEEDED.*libquackpipe.so.0" "$work/dynamic.txt" || fail "the module does not link libquackpipe.so.0"
[[ -f $pkg/py.typed ]] || fail "py.typed is not installed (type checkers would ignore the hints)"
run_clean "$work/venv/bin/python" "$work/use.py" "$src/bindings/testdata/events.jsonl"

echo "== 2. import errors that say why"
expect_import_error() { # expect_import_error <what> <text>
	local out
	if out=$(cd "$work" && run_clean "$work/venv/bin/python" -c 'import quackpipe' 2>&1); then
		fail "$1: import succeeded"
	fi
	grep -q "$2" <<<"$out" || fail "$1: expected '$2' in: $out"
	echo "$1: $(grep -o 'cannot import quackpipe: .\{0,70\}' <<<"$out")"
}
mv "$ext" "$work/saved.so"
expect_import_error "extension missing" "is not built"
cp "$work/saved.so" "$pkg/_capi.cpython-30-x86_64-linux-gnu.so"
expect_import_error "other Python" "built for another Python"
rm "$pkg/_capi.cpython-30-x86_64-linux-gnu.so"
mv "$work/saved.so" "$ext"
mv "$work/prefix" "$work/prefix.moved"
expect_import_error "library gone" "cannot load libquackpipe"
mv "$work/prefix.moved" "$work/prefix"

echo "== 3. sdist, built without an installed library"
"$work/venv/bin/pip" install -q scikit-build-core
(cd "$work/src/bindings/python" &&
 "$work/venv/bin/python" -c 'import sys; sys.path.insert(0, "build_backend")
import quackpipe_build_backend as b; print(b.build_sdist(sys.argv[1]))' "$work/dist" >/dev/null)
sdist=$(ls "$work"/dist/quackpipe-*.tar.gz)
tar -tzf "$sdist" >"$work/sdist.txt"
grep -q "/libquackpipe/src/" "$work/sdist.txt" || fail "the sdist lacks the library sources"
grep -q "/swig/quackpipe.i" "$work/sdist.txt" || fail "the sdist lacks the SWIG interface"
[[ ! -e $work/src/bindings/python/swig ]] || fail "build_sdist left its copies behind"
"$python" -m venv "$work/venv2"
(unset PKG_CONFIG_PATH; cd "$work" && "$work/venv2/bin/pip" install -q "$sdist")
ext2=$(ls "$work"/venv2/lib/python*/site-packages/quackpipe/_capi.*.so)
readelf -d "$ext2" >"$work/dynamic2.txt"
! grep -q "NEEDED.*libquackpipe" "$work/dynamic2.txt" || fail "the sdist's module should embed the library"
run_clean "$work/venv2/bin/python" "$work/use.py" "$src/bindings/testdata/events.jsonl"
echo "packaging_python: wheel against the installed library, import errors, sdist with the library built in: ok"
