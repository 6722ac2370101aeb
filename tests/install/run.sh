#!/usr/bin/env bash
# Installs the build into a scratch prefix, then builds a program outside the
# tree against it twice: with pkg-config and with CMake's find_package.
set -euo pipefail
build=$1 source=$(cd "$(dirname "$0")" && pwd)
prefix=$(mktemp -d) work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(find "$prefix" -name libquackpipe.pc -printf '%h\n' | head -1)
test -n "$libdir" || { echo "libquackpipe.pc not installed" >&2; exit 1; }
test -x "$prefix/bin/quackpipe" || { echo "bin/quackpipe not installed" >&2; exit 1; }
"$prefix/bin/quackpipe" --version

export PKG_CONFIG_PATH=$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
cc -Wall -Werror -o "$work/consumer_pc" "$source/consumer.c" \
   $(pkg-config --cflags --libs libquackpipe) -Wl,-rpath,"$(dirname "$libdir")"
"$work/consumer_pc"
# Static libquackpipe, its dependencies shared (their own static archives
# would need every compression library librdkafka was built with).
cc -Wall -Werror -o "$work/consumer_pc_static" "$source/consumer.c" \
   $(pkg-config --cflags "libquackpipe") \
   "$(dirname "$libdir")/libquackpipe.a" $(pkg-config --libs rdkafka libcjson libcurl) -lpthread -lm -ldl
"$work/consumer_pc_static"

cmake -S "$source" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_RPATH="$(dirname "$libdir")" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer_shared"
"$work/cmake/consumer_static"
# The shared library carries its major version in the SONAME.
soname=$(objdump -p "$(dirname "$libdir")/libquackpipe.so" | awk '/SONAME/ {print $2}')
[[ $soname == libquackpipe.so.0 ]] || { echo "unexpected SONAME $soname" >&2; exit 1; }
echo "install: pkg-config (shared, static) and find_package (shared, static) consumers ran; SONAME $soname"
