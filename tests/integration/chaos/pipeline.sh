#!/usr/bin/env bash
# The whole pipeline as separate processes on a Kafka broker and a
# clickhouse-server of its own, for tests/integration/chaos/chaos.sh and
# bench/soak.sh (sourced by both). The caller sets, before sourcing:
#   qp         the quackpipe command
#   src        the repository
#   pushdouble the push provider double (tests/doubles/pushdouble)
#   tmp        a directory of its own (logs, run directories)
#   PL_KAFKA_PORT, PL_CH_HTTP_PORT, PL_INGEST_PORT  ports of its range
# and calls pl_cleanup from its EXIT trap: it stops every process started
# here, the broker and the server included, whatever happened.
#
# Services are supervised as systemd would (Restart=always, after 1 s): one
# that exits by itself is started again and the exit is recorded in
# $tmp/events.log ("exit NAME PID RC"); pl_kill records "kill NAME PID".
# pl_rss_start samples every process's VmRSS and VmHWM into $tmp/rss.tsv.

run=pl_$(date +%s)_$$
table=$run
brokers=127.0.0.1:$PL_KAFKA_PORT
ch_url=http://127.0.0.1:$PL_CH_HTTP_PORT
ingest_url=http://127.0.0.1:$PL_INGEST_PORT
export QP_KAFKA_PORT=$PL_KAFKA_PORT QP_KAFKA_CONTROLLER_PORT=$((PL_KAFKA_PORT + 1))
export QP_KAFKA_RUN_DIR=$tmp/kafka
export QP_CH_HTTP_PORT=$PL_CH_HTTP_PORT QP_CH_TCP_PORT=$((PL_CH_HTTP_PORT + 877))
export QP_CH_RUN_DIR=$tmp/clickhouse
mkdir -p "$tmp/pids"
pl_services=(ingest fraud ch-writer alerts)
pl_t0=$SECONDS
pl_key=chaos-key-$$
pl_double_pid= pl_rss_pid= pl_supervisor_pid=
pl_kafka_up= pl_ch_up=

pl_say() { echo "$(basename "$0"): [t=$((SECONDS - pl_t0))s] $*" >&2; }
pl_note() { echo "$(date +%s%3N) $((SECONDS - pl_t0)) $*" >>"$tmp/events.log"; }
pl_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pl_cleanup() {
  local name pid
  [[ -n $pl_supervisor_pid ]] && kill "$pl_supervisor_pid" 2>/dev/null
  for name in "${pl_services[@]}"; do
    pid=$(cat "$tmp/pids/$name" 2>/dev/null) || continue
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in $pl_double_pid $pl_rss_pid; do kill -KILL "$pid" 2>/dev/null || true; done
  [[ -n $pl_kafka_up ]] && { "$src/scripts/kafka.sh" stop >/dev/null 2>&1 || true; }
  [[ -n $pl_ch_up ]] && { "$src/scripts/clickhouse.sh" stop >/dev/null 2>&1 || true; }
}

# ---- the broker and the server ----
pl_kafka() { "$src/scripts/kafka.sh" "$@" >>"$tmp/kafka.log" 2>&1 || pl_fail "kafka.sh $*: $(tail -n 5 "$tmp/kafka.log")"; }
pl_clickhouse() { "$src/scripts/clickhouse.sh" "$@" >>"$tmp/clickhouse.log" 2>&1 || pl_fail "clickhouse.sh $*: $(tail -n 5 "$tmp/clickhouse.log")"; }

# Both at once: the JVM takes most of the time.
pl_start_backends() {
  pl_kafka_up=1 pl_ch_up=1
  pl_kafka fetch
  pl_kafka start &
  local kafka_job=$!
  pl_clickhouse start
  wait "$kafka_job" || pl_fail "kafka.sh start: $(tail -n 5 "$tmp/kafka.log")"
}

pl_ch() { curl -sS --max-time 60 --fail-with-body "$ch_url/" --data-binary "$1"; }

pl_common=(--brokers "$brokers"
  -X "qp.topic.events=$run-events" -X "qp.topic.enriched=$run-enriched"
  -X "qp.topic.alerts=$run-alerts" -X "qp.topic.dlq=$run-dlq"
  -X "qp.topic.device_tokens=$run-tokens" -X "qp.topic.alerts_sent=$run-sent")

# The pipeline's topics, alert-svc's two compacted tables included.
pl_topics() {
  "$qp" topics create "${pl_common[@]}" --timeout 60 >"$tmp/topics.out" 2>"$tmp/topics.log" ||
    pl_fail "topics create: $(cat "$tmp/topics.log")"
  grep -q "^$run-tokens" "$tmp/topics.out" && grep -q "^$run-sent" "$tmp/topics.out" ||
    pl_fail "topics create made no device-tokens or alerts-sent topic: $(cat "$tmp/topics.out")"
}

# ---- the push double ----
pl_start_double() {
  mkdir -p "$tmp/double"
  "$pushdouble" -dir "$tmp/double" >"$tmp/double.log" 2>&1 &
  pl_double_pid=$!
  disown "$pl_double_pid" # killed at the end: no "Killed" notice from bash
  local i
  for ((i = 0; i < 300; i++)); do
    [[ -s $tmp/double/addr ]] && break
    kill -0 "$pl_double_pid" 2>/dev/null || pl_fail "push double exited: $(cat "$tmp/double.log")"
    sleep 0.1
  done
  [[ -s $tmp/double/addr ]] || pl_fail "push double wrote no address in 30 s"
  pl_double=https://$(cat "$tmp/double/addr")
}
pl_double_stats() { curl -sS --max-time 30 --cacert "$tmp/double/ca.pem" "$pl_double/stats"; }

# ---- the services ----
# pl_args NAME: the command line of service NAME (into pl_argv).
pl_args() {
  local d=$tmp/double
  # Static membership: a service restarted after a SIGKILL takes its
  # partitions back at once instead of after the session timeout.
  local member=(-X "group.instance.id=$run-$1-1" -X session.timeout.ms=6000
                -X auto.offset.reset=earliest --status-interval 5)
  case $1 in
  ingest)
    printf '%s chaos load\n' "$(printf '%s' "$pl_key" | sha256sum | cut -d' ' -f1)" >"$tmp/keys"
    pl_argv=("$qp" ingest "${pl_common[@]}" --port "$PL_INGEST_PORT" --status-interval 5
             -X "qp.ingest.keys.path=$tmp/keys" -X qp.ingest.probe.interval.ms=200
             -X reconnect.backoff.max.ms=500
             # The spool (one directory for every incarnation, so that a
             # restarted ingest replays what its predecessor spooled), and a
             # delivery given up on after 10 s: a failed event is on disk
             # then, safe from a SIGKILL, instead of in memory for minutes.
             -X "qp.ingest.spool.dir=$tmp/spool" -X message.timeout.ms=10000) ;;
  fraud)
    pl_argv=("$qp" fraud "${pl_common[@]}" "${member[@]}" -X "group.id=$run-fraud") ;;
  ch-writer)
    pl_argv=("$qp" ch-writer "${pl_common[@]}" "${member[@]}" -X "group.id=$run-writer"
             --clickhouse "$ch_url" -X "qp.inserter.table=$table") ;;
  alerts)
    pl_argv=("$qp" alerts "${pl_common[@]}" "${member[@]}" -X "group.id=$run-alerts"
             -X qp.alerts.inflight.max=32 -X qp.alerts.max.age.ms=3600000
             -X qp.alerts.rate.burst=1000 -X qp.alerts.rate.per.min=1000
             -X "qp.alerts.tls.ca.location=$d/ca.pem"
             -X "qp.alerts.fcm.service.account=$d/service-account.json" -X "qp.alerts.fcm.url=$pl_double"
             -X "qp.alerts.apns.key.path=$d/apns-key.p8" -X qp.alerts.apns.key.id=PDKEY12345
             -X qp.alerts.apns.team.id=PDTEAM1234 -X qp.alerts.apns.topic=org.quackpipe.test
             -X "qp.alerts.apns.url=$pl_double") ;;
  esac
}

# pl_start NAME: in the background, its pid in $tmp/pids/NAME, its log
# $tmp/NAME.N.log (one per start), its exit status, once it ended, in
# $tmp/pids/rc.PID (a subshell waits for it: 137 after a SIGKILL).
pl_start() {
  local n i
  n=$(($(cat "$tmp/pids/$1.starts" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$tmp/pids/$1.starts"
  pl_args "$1"
  rm -f "$tmp/pids/$1"
  (
    "${pl_argv[@]}" 2>"$tmp/$1.$n.log" &
    pid=$!
    echo "$pid" >"$tmp/pids/$1.tmp" && mv "$tmp/pids/$1.tmp" "$tmp/pids/$1"
    rc=0
    wait "$pid" || rc=$?
    echo "$rc" >"$tmp/pids/rc.$pid"
  ) 2>/dev/null & # (not bash's "Killed" notice)
  for ((i = 0; i < 100; i++)); do [[ -s $tmp/pids/$1 ]] && break; sleep 0.05; done
  pl_note "start $1 $(cat "$tmp/pids/$1")"
}

# pl_kill NAME: SIGKILL, recorded; the supervisor starts it again. A
# service killed a moment ago is killed again once it has been restarted
# (up to 10 s later), so that each kill hits a process.
pl_kill() {
  local pid i
  for ((i = 0; i < 100; i++)); do
    pid=$(cat "$tmp/pids/$1" 2>/dev/null) && [[ ! -e $tmp/pids/rc.$pid ]] && break
    sleep 0.1
  done
  # ingest: how many events it answered 202 that Kafka has not acknowledged
  # yet (its producer's memory, which the SIGKILL takes with it).
  [[ $1 == ingest ]] && curl -s --max-time 1 "$ingest_url/metrics" 2>/dev/null |
    awk '/^quackpipe_ingest_accepted_total/ {a=$2} /^quackpipe_ingest_delivered_total/ {d=$2}
         END {if (a != "") printf "unacked ingest %d\n", a - d}' | while read -r line; do pl_note "$line"; done
  pl_note "kill $1 $pid"
  kill -KILL "$pid" 2>/dev/null || true
}

# The supervisor: every 0.2 s, a service whose process ended is recorded
# (with its exit status and last log line when it exited by itself) and
# started again after 1 s.
pl_supervise() {
  (
    trap 'exit 0' TERM
    while :; do
      for name in "${pl_services[@]}"; do
        [[ -e $tmp/pids/$name.stopping ]] && continue
        pid=$(cat "$tmp/pids/$name")
        [[ -e $tmp/pids/rc.$pid ]] || continue
        grep -q " kill $name $pid\$" "$tmp/events.log" ||
          pl_note "exit $name $pid rc=$(cat "$tmp/pids/rc.$pid"): $(tail -n 1 "$tmp/$name.$(cat "$tmp/pids/$name.starts").log" | tr -d '\n')"
        sleep 1
        [[ -e $tmp/pids/$name.stopping ]] || pl_start "$name"
      done
      sleep 0.2
    done
  ) &
  pl_supervisor_pid=$!
  disown "$pl_supervisor_pid"
}

# pl_stop NAME...: SIGTERM to each at once, then each one's exit status (0
# expected) into pl_rc[NAME]; the supervisor leaves them alone from now on.
declare -A pl_rc
pl_stop() {
  local name pid i
  declare -A pids
  for name in "$@"; do touch "$tmp/pids/$name.stopping"; done
  sleep 1.5 # a start the supervisor began has written its pid
  for name in "$@"; do
    pids[$name]=$(cat "$tmp/pids/$name")
    kill -TERM "${pids[$name]}" 2>/dev/null || true
  done
  for name in "$@"; do
    pid=${pids[$name]}
    for ((i = 0; i < 600; i++)); do
      [[ -e $tmp/pids/rc.$pid ]] && break
      sleep 0.1
    done
    if [[ -e $tmp/pids/rc.$pid ]]; then
      pl_rc[$name]=$(cat "$tmp/pids/rc.$pid")
    else
      kill -KILL "$pid" 2>/dev/null
      pl_rc[$name]="still running 60 s after SIGTERM"
    fi
    pl_note "stop $name $pid rc=${pl_rc[$name]}"
  done
}

# pl_start_all: ingest (waiting until it listens), fraud, ch-writer, alerts,
# and their supervisor.
pl_start_all() {
  local i name
  : >"$tmp/events.log"
  for name in "${pl_services[@]}"; do pl_start "$name"; done
  for ((i = 0; i < 300; i++)); do
    grep -qs "listening on http://127.0.0.1:$PL_INGEST_PORT" "$tmp/ingest.1.log" && break
    sleep 0.1
  done
  grep -qs "listening on" "$tmp/ingest.1.log" || pl_fail "ingest does not listen: $(tail -n 5 "$tmp/ingest.1.log")"
  pl_supervise
}

# ---- memory: every PL_RSS_EVERY_S, "t name pid rss_kib hwm_kib" ----
pl_rss_start() {
  (
    while :; do
      for name in "${pl_services[@]}"; do
        pid=$(cat "$tmp/pids/$name" 2>/dev/null) || continue
        read -r rss hwm < <(awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {print r+0, h+0}' \
          "/proc/$pid/status" 2>/dev/null) || continue
        ((rss > 0)) && echo "$((SECONDS - pl_t0)) $name $pid $rss $hwm"
      done
      sleep "${PL_RSS_EVERY_S:-1}"
    done
  ) >"$tmp/rss.tsv" &
  pl_rss_pid=$!
  disown "$pl_rss_pid"
}
