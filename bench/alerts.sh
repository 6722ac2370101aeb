#!/usr/bin/env bash
# bench/run alerts: alert-svc from scan-alerts on the local Kafka broker to
# the APNs and FCM doubles (tests/doubles/pushdouble, built here with go),
# next to a plain libcurl loop sending the same requests one at a time
# (bench_alerts.c). The broker is started here if not running, and then
# stopped again. Usage: bench/run alerts [--alerts N] [--baseline N]
# [--rate N] [--seconds N] (the paced latency phase: 500/s for 20 s)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
shift
cmake --build "$build" --target bench_alerts -j2 >/dev/null
double=$build/bench/pushdouble
(cd "$root/tests/doubles/pushdouble" &&
  GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$double" .)

source "$here/support/services.sh"
trap bench_services_down EXIT
bench_services_up kafka
"$build/bench/bench_alerts" --bootstrap "$(bash "$root/scripts/kafka.sh" bootstrap)" \
  --broker "$(bench_kafka_label)" --double "$double" "$@"
