#!/usr/bin/env bash
# The systemd units of contrib/systemd (ctest: systemd_units):
#   - `systemd-analyze verify` accepts each, with the shared drop-in
#     quackpipe-.service.d/, and prints nothing (it exits 0 on settings it
#     ignores, so any output fails the test);
#   - each has, through the drop-in, Restart=on-failure, the sandbox, and a
#     TimeoutStopSec longer than the longest graceful shutdown the default
#     properties allow (read from docs/configuration.md, which a test keeps
#     equal to the property table);
#   - each Kafka consumer sets a host-stable group.instance.id, and each has
#     its environment file.
#   tests/packaging/systemd.sh <quackpipe command>
set -euo pipefail
quackpipe=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
units=$src/contrib/systemd
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "systemd_units: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null ||
	fail "systemd-analyze is not installed (Debian package systemd; scripts/setup.sh installs it)"

# verify checks that ExecStart= names an executable: point the copies at
# the command just built; /etc/quackpipe/* stand in the same way.
mkdir -p "$work/units" "$work/etc"
cp -r "$units"/quackpipe-*.service "$units/quackpipe-.service.d" "$work/units/"
cp "$units"/env/*.env "$work/etc/"
touch "$work/etc/quackpipe.conf"
sed -i "s|/usr/bin/quackpipe|$quackpipe|; s|/etc/quackpipe/|$work/etc/|g" \
	"$work"/units/*.service "$work"/units/quackpipe-.service.d/*.conf

default_ms() { # the default of a property, from docs/configuration.md
	local v
	v=$(awk -F'|' -v key="\`$1\`" '$2 ~ key {gsub(/ /, "", $4); print $4}' "$src/docs/configuration.md")
	[[ $v =~ ^[0-9]+$ ]] || fail "no default for $1 in docs/configuration.md"
	echo "$v"
}
shutdown_ms=0
for p in qp.svc.flush.timeout.ms qp.inserter.timeout.ms qp.runner.close.timeout.ms \
	 qp.producer.close.timeout.ms; do
	shutdown_ms=$((shutdown_ms + $(default_ms "$p")))
done

n=0
for unit in "$work"/units/quackpipe-*.service; do
	name=$(basename "$unit" .service)
	if ! (cd "$work" && systemd-analyze verify --man=no "$unit") >"$work/verify.txt" 2>&1 ||
	   [[ -s $work/verify.txt ]]; then
		cat "$work/verify.txt" >&2
		grep -q "Failed to \(connect\|initialize\)\|System has not been booted" "$work/verify.txt" &&
			echo "systemd_units: systemd-analyze cannot run on this machine (above)" >&2
		fail "$name: systemd-analyze verify reported the above"
	fi
	# The unit with its drop-in, as systemd reads it.
	cat "$unit" "$work"/units/quackpipe-.service.d/*.conf >"$work/effective"
	for setting in Restart=on-failure DynamicUser=yes ProtectSystem=strict NoNewPrivileges=yes \
		       "EnvironmentFile=$work/etc/${name#quackpipe-}.env"; do
		grep -qx "$setting" "$work/effective" || fail "$name: no $setting"
	done
	[[ -f $work/etc/${name#quackpipe-}.env ]] || fail "$name: contrib/systemd/env/${name#quackpipe-}.env missing"
	stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$work/effective" | tail -1)
	[[ -n $stop ]] || fail "$name: no TimeoutStopSec in seconds"
	((stop * 1000 > shutdown_ms)) ||
		fail "$name: TimeoutStopSec=${stop}s does not exceed the graceful shutdown (${shutdown_ms} ms)"
	if [[ $name != quackpipe-ingest ]]; then
		grep -q -- "-X group.instance.id=[a-z-]*-%H" "$unit" ||
			fail "$name: no host-stable group.instance.id (-X group.instance.id=<group>-%H)"
	fi
	echo "$name: verified, TimeoutStopSec=${stop}s > ${shutdown_ms} ms"
	n=$((n + 1))
done
((n == 5)) || fail "expected 5 units (ingest, fraud, ch-writer, alerts, dlq-replay), found $n"
echo "systemd_units: $n units verified"
