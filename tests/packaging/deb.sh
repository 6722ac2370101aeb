#!/usr/bin/env bash
# The Debian packages (ctest: packaging_deb): CPack builds libquackpipe0,
# libquackpipe-dev and quackpipe from this build; `apt-get install ./*.deb`
# installs them into the machine's system (CI runs as root on a throwaway
# machine); a program outside the tree builds against them with pkg-config
# and with find_package and runs with nothing set; the installed command
# runs and the installed units pass `systemd-analyze verify`. The packages
# are purged at the end, whatever happened.
#   tests/packaging/deb.sh <build dir>
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
packages=(libquackpipe0 libquackpipe-dev quackpipe)
fail() { echo "packaging_deb: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "installs packages into the system: run as root (CI does)"
for p in "${packages[@]}"; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		fail "$p is installed already: this test installs and purges it (apt-get purge $p)"
	fi
done
cleanup() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/debs" >"$work/cpack.log" 2>&1) ||
	{ cat "$work/cpack.log" >&2; fail "cpack failed"; }
cd "$work/debs"
for p in "${packages[@]}"; do
	ls "$p"_*.deb >/dev/null 2>&1 || fail "cpack made no $p package: $(ls)"
done
field() { dpkg-deb -f "$1"_*.deb "$2"; }
# Dependencies: dpkg-shlibdeps' for the ELF files, the -dev ones by hand.
field libquackpipe0 Depends | grep -q "librdkafka1" || fail "libquackpipe0 does not depend on librdkafka1: $(field libquackpipe0 Depends)"
field quackpipe Depends | grep -q "librdkafka1" || fail "quackpipe does not depend on librdkafka1: $(field quackpipe Depends)"
field libquackpipe-dev Depends | grep -q "libquackpipe0 (= " || fail "libquackpipe-dev does not depend on libquackpipe0: $(field libquackpipe-dev Depends)"
for p in "${packages[@]}"; do echo "$p: Depends: $(field "$p" Depends)"; done
dpkg-deb -c libquackpipe-dev_*.deb >"$work/dev.txt"
grep -q "pkgconfig/libquackpipe.pc" "$work/dev.txt" || fail "libquackpipe-dev lacks the .pc file"
dpkg-deb -c quackpipe_*.deb >"$work/bin.txt"
grep -q "systemd/system/quackpipe-fraud.service" "$work/bin.txt" || fail "quackpipe lacks the systemd units"
dpkg-deb --ctrl-tarfile quackpipe_*.deb | tar -xO ./conffiles >"$work/conffiles"
grep -qx "/etc/quackpipe/fraud.env" "$work/conffiles" ||
	fail "quackpipe does not mark /etc/quackpipe/fraud.env as a conffile: $(cat "$work/conffiles")"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ./*.deb >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; fail "apt-get install ./*.deb failed"; }

# An outside program, nothing but the installed packages.
clean() { env -i PATH=/usr/bin:/bin HOME="$HOME" "$@"; }
cd "$work"
clean cc -Wall -Werror -o consumer_pc "$src/tests/install/consumer.c" $(clean pkg-config --cflags --libs libquackpipe)
clean ./consumer_pc
clean cmake -S "$src/tests/install" -B "$work/cmake" >/dev/null
clean cmake --build "$work/cmake" >/dev/null
clean "$work/cmake/consumer_shared"
clean quackpipe --version
[[ $(command -v quackpipe) == /usr/bin/quackpipe ]] || fail "quackpipe is not /usr/bin/quackpipe"
[[ -f /etc/quackpipe/quackpipe.conf ]] || fail "/etc/quackpipe/quackpipe.conf not installed"
systemd-analyze verify --man=no /lib/systemd/system/quackpipe-fraud.service >"$work/verify.txt" 2>&1 &&
	[[ ! -s $work/verify.txt ]] || { cat "$work/verify.txt" >&2; fail "the installed unit does not verify"; }
echo "packaging_deb: built, installed with apt-get, used by pkg-config and find_package consumers: ok"
