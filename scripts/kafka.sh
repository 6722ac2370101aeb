#!/usr/bin/env bash
# scripts/kafka.sh: a real Apache Kafka (KRaft, no ZooKeeper) on loopback for
# the integration tests, CI and benchmarks, run from jars that Maven fetches
# from Maven Central. No Docker, no tarball. See docs/kafka.md.
#
#   kafka.sh fetch                      jars into the cache (once)
#   kafka.sh start|stop|status|bootstrap|clean      one node  (127.0.0.1:9092)
#   kafka.sh cluster start|stop|status|bootstrap|clean  three nodes (19092-19094)
#   kafka.sh cluster stop-node N|kill-node N|start-node N    failure tests
#   kafka.sh run CLASS|ALIAS [ARGS...]  a Kafka tool from the same jars (aliases: topics,
#                                       configs, console-producer, console-consumer,
#                                       consumer-groups, metadata-quorum, broker-api-versions, storage)
#   kafka.sh secure-conf                the client config file of the TLS + SASL/SCRAM listener
#                                       (one node started with QP_KAFKA_SECURE_PORT set)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib/test-tls.sh"
pom=$here/kafka/pom.xml

version=${QP_KAFKA_VERSION:-3.9.1}
# Absolute paths: they end up in the brokers' command lines and configs.
kafka_home=$(realpath -m "${QP_KAFKA_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/quackpipe/kafka-$version}")
libs=$kafka_home/libs

single_dir=$(realpath -m "${QP_KAFKA_RUN_DIR:-/tmp/quackpipe-kafka}")
single_port=${QP_KAFKA_PORT:-9092}
single_ctl_port=${QP_KAFKA_CONTROLLER_PORT:-$((single_port + 1))}
# Set: the single node also listens with SASL_SSL (SCRAM-SHA-512) there,
# with certificates and a user made at start (see "secure listener" below).
secure_port=${QP_KAFKA_SECURE_PORT:-}
secure_user=${QP_KAFKA_SASL_USER:-quackpipe}
secure_dir=$single_dir/tls

cluster_dir=$(realpath -m "${QP_KAFKA_CLUSTER_RUN_DIR:-/tmp/quackpipe-kafka-cluster}")
cluster_port=${QP_KAFKA_CLUSTER_PORT:-19092}
cluster_ctl_port=${QP_KAFKA_CLUSTER_CONTROLLER_PORT:-$((cluster_port + 100))}
cluster_size=3

# 2 cores and a few GB are shared with ClickHouse and the tests: small heaps.
heap_opts=${QP_KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
# Flags of Kafka's own kafka-run-class.sh, plus a loud death on OOM.
jvm_opts=${QP_KAFKA_JVM_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}
# Tools run for a second or two: start fast rather than run fast.
tool_opts=${QP_KAFKA_TOOL_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}
start_timeout=${QP_KAFKA_START_TIMEOUT:-60}
stop_timeout=${QP_KAFKA_STOP_TIMEOUT:-30}

java=${JAVA_HOME:+$JAVA_HOME/bin/}java

info() { echo "kafka.sh: $*" >&2; }
die() { echo "kafka.sh: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- fetch

fetch() {
  if [[ -f $libs/.complete ]]; then
    info "Kafka $version already fetched in $libs"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  command -v "$java" >/dev/null || die "java not found (apt-get install openjdk-17-jre-headless)"
  mkdir -p "$kafka_home"
  # Copy into a temporary sibling and rename it: an interrupted fetch never
  # leaves a cache that looks complete.
  local tmp
  tmp=$(mktemp -d "$kafka_home/.libs.XXXXXX")
  info "fetching Kafka $version jars from Maven Central into $libs"
  # Maven 3.8 writes colour codes even with -q -B: keep its output for errors.
  if ! mvn -q -B -f "$pom" -Dkafka.version="$version" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
      >"$kafka_home/fetch.log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$kafka_home/fetch.log" >&2
    rm -rf "$tmp"
    die "mvn could not fetch org.apache.kafka:kafka_2.13:$version and its dependencies"
  fi
  [[ -f $tmp/kafka_2.13-$version.jar ]] || { rm -rf "$tmp"; die "kafka_2.13-$version.jar missing after fetch"; }
  touch "$tmp/.complete"
  rm -rf "$libs"
  mv "$tmp" "$libs"
  info "fetched $(find "$libs" -name "*.jar" | wc -l) jars ($(du -sh "$libs" | cut -f1))"
}

ensure_fetched() {
  [[ -f $libs/.complete ]] || fetch
  command -v "$java" >/dev/null || die "java not found (apt-get install openjdk-17-jre-headless)"
}

# ---------------------------------------------------------------- tools

tools_log4j() {
  local f=$kafka_home/tools-log4j.properties
  if [[ ! -f $f ]]; then
    cat >"$f.tmp" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# run_tool CLASS ARGS...: a Kafka main class on the fetched class path.
run_tool() {
  local cls=$1; shift
  # shellcheck disable=SC2086
  "$java" $tool_opts -Dlog4j.configuration="file:$(tools_log4j)" \
    -cp "$libs/*" "$cls" "$@"
}

tool_class() {
  case $1 in
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    configs) echo kafka.admin.ConfigCommand ;;
    console-producer) echo kafka.tools.ConsoleProducer ;;
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    broker-api-versions) echo kafka.admin.BrokerApiVersionsCommand ;;
    storage) echo kafka.tools.StorageTool ;;
    *) echo "$1" ;;
  esac
}

# ---------------------------------------------------------------- nodes
# A node is a directory <run dir>/node<N> holding server.properties,
# log4j.properties, data/, server.log, jvm.out and kafka.pid.

node_dir() { echo "$1/node$2"; }

# node_pid DIR: the pid of the broker started for DIR, if it still runs.
# The command line must carry DIR's marker, so a recycled pid is never ours.
node_pid() {
  local pidf=$1/kafka.pid pid
  [[ -f $pidf ]] || return 1
  pid=$(<"$pidf")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-Dquackpipe.kafka.node=$1 " || return 1
  echo "$pid"
}

# pid_alive PID: true until the process has released everything it held
# (its command line empties earlier, while sockets and locks are still open).
# A JVM just killed can hold its ports a moment longer: its main thread is
# already a zombie (pid_alive says no) while other threads still exit, and
# the sockets close with the last one. Wait up to 15 s before calling a port
# taken.
port_free_soon() {
  local deadline=$((SECONDS + 15))
  while port_open "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

pid_alive() {
  local state
  [[ ${1:-} =~ ^[0-9]+$ ]] || return 1
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# write_node_config DIR ID PORT CTL_PORT VOTERS RF MIN_ISR
write_node_config() {
  local dir=$1 id=$2 port=$3 ctl=$4 voters=$5 rf=$6 min_isr=$7
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<EOF
# Written by scripts/kafka.sh; rewritten at every start.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctl${node_secure_port:+,SECURE://127.0.0.1:$node_secure_port}
advertised.listeners=PLAINTEXT://127.0.0.1:$port${node_secure_port:+,SECURE://127.0.0.1:$node_secure_port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${node_secure_port:+,SECURE:SASL_SSL}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data

# Tests create their topics explicitly; a typo must not create one.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$min_isr
# Fewer internal partitions than the default 50: the first consumer group
# and the first transaction of a test create them, and that is slow here.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
# A test's consumer joins at once instead of 3 s later.
group.initial.rebalance.delay.ms=0
# Failure tests: a killed node is fenced after 6 s instead of 9 s.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=6000
EOF
  [[ -z ${node_secure_port:-} ]] || secure_listener_config >>"$dir/server.properties"
  cat >"$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$dir/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
}

# format_node DIR CLUSTER_ID: KRaft storage, once (kept across restarts).
format_node() {
  local dir=$1 cid=$2 out
  [[ -f $dir/data/meta.properties ]] && return 0
  if ! out=$(run_tool kafka.tools.StorageTool format -t "$cid" \
      -c "$dir/server.properties" --ignore-formatted 2>&1); then
    echo "$out" >&2
    die "StorageTool format failed for $dir"
  fi
}

# cluster_id RUN_DIR: generated once per run dir. Kafka's form: 16 random
# bytes in URL-safe base64 without padding, not starting with '-'.
cluster_id() {
  local f=$1/cluster.id id
  if [[ ! -f $f ]]; then
    while :; do
      id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
      [[ $id != -* ]] && break
    done
    echo "$id" >"$f"
  fi
  cat "$f"
}

launch_node() {
  local dir=$1
  # This start's log alone, so a failure shows its own lines.
  [[ -f $dir/server.log ]] && mv -f "$dir/server.log" "$dir/server.log.prev"
  : >"$dir/jvm.out"
  # setsid: the broker outlives this script and its terminal. The inner
  # shell writes its own pid, then becomes the JVM through exec.
  # shellcheck disable=SC2086
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1/kafka.pid"; shift; exec "$@"' _ "$dir" \
    "$java" $heap_opts $jvm_opts \
    -Dlog4j.configuration="file:$dir/log4j.properties" \
    -Dkafka.logs.dir="$dir" \
    "-Dquackpipe.kafka.node=$dir" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/jvm.out" 2>&1 9>&- &
  local i
  for i in $(seq 50); do
    [[ -s $dir/kafka.pid ]] && return 0
    sleep 0.1
  done
  die "broker in $dir did not start"
}

node_log_tail() {
  local dir=$1
  echo "---- last lines of $dir/server.log ----" >&2
  tail -n 40 "$dir/server.log" >&2 2>/dev/null || echo "(no server.log)" >&2
  if [[ -s $dir/jvm.out ]]; then
    echo "---- last lines of $dir/jvm.out ----" >&2
    tail -n 20 "$dir/jvm.out" >&2
  fi
}

# broker_ids BOOTSTRAP: ids of the brokers that answer a metadata request
# through BOOTSTRAP and then an ApiVersions request each.
broker_ids() {
  local out
  # shellcheck disable=SC2086
  out=$(timeout 30 "$java" $tool_opts -Dlog4j.configuration="file:$(tools_log4j)" \
    -cp "$libs/*" kafka.admin.BrokerApiVersionsCommand --bootstrap-server "$1" 2>/dev/null) || return 1
  grep -o '(id: [0-9]*' <<<"$out" | awk '{print $2}' | sort -n | tr '\n' ' '
}

# wait_ready RUN_DIR BOOTSTRAP "IDS": until every node id in IDS answers
# through BOOTSTRAP; fails when a node dies or the time is up.
wait_ready() {
  local run=$1 bootstrap=$2 want=$3 deadline=$((SECONDS + start_timeout)) id got=
  local first_port=${bootstrap%%,*}; first_port=${first_port##*:}
  while ((SECONDS < deadline)); do
    for id in $want; do
      # By pid alone: while bash execs the JVM, the command line is in flux.
      if ! pid_alive "$(cat "$(node_dir "$run" "$id")/kafka.pid" 2>/dev/null)"; then
        node_log_tail "$(node_dir "$run" "$id")"
        die "Kafka node $id exited during start-up (see above)"
      fi
    done
    # The cheap probe first: a JVM for the real check costs half a second.
    if port_open "$first_port"; then
      got=$(broker_ids "$bootstrap") || got=
      local all=1
      for id in $want; do
        [[ " $got " == *" $id "* ]] || all=0
      done
      ((all)) && return 0
    fi
    sleep 0.3
  done
  for id in $want; do node_log_tail "$(node_dir "$run" "$id")"; done
  die "Kafka did not answer on $bootstrap within ${start_timeout}s (nodes answering: ${got:-none}; want: $want)"
}

# start_nodes RUN_DIR BOOTSTRAP RF MIN_ISR PORT0 CTL0 "ALL IDS" "IDS TO START"
# Node N listens on PORT0+N-1 for clients and CTL0+N-1 for the quorum.
start_nodes() {
  local run=$1 bootstrap=$2 rf=$3 min_isr=$4 port0=$5 ctl0=$6 all=$7 ids=$8
  local id dir voters='' launched='' got
  ensure_fetched
  mkdir -p "$run"
  touch "$run/.quackpipe-kafka"
  # Two starts at once (parallel CI jobs) would launch two brokers on one
  # data dir: the second waits here, then finds the first one running.
  exec 9>"$run/.start.lock"
  flock -w $((start_timeout + 30)) 9 || die "another kafka.sh start holds $run/.start.lock"
  for id in $all; do
    voters+="${voters:+,}$id@127.0.0.1:$((ctl0 + id - 1))"
  done
  local cid
  cid=$(cluster_id "$run")
  for id in $ids; do
    dir=$(node_dir "$run" "$id")
    if node_pid "$dir" >/dev/null; then
      continue
    fi
    local p=$((port0 + id - 1)) c=$((ctl0 + id - 1))
    port_free_soon "$p" || die "port 127.0.0.1:$p is taken by another process (QP_KAFKA_PORT / QP_KAFKA_CLUSTER_PORT choose another)"
    port_free_soon "$c" || die "port 127.0.0.1:$c is taken by another process (QP_KAFKA_CONTROLLER_PORT / QP_KAFKA_CLUSTER_CONTROLLER_PORT choose another)"
    write_node_config "$dir" "$id" "$p" "$c" "$voters" "$rf" "$min_isr"
    launched+=" $id"
  done
  # One JVM per node to format: in parallel, it is a second each.
  local fpids=() fpid
  for id in $launched; do
    format_node "$(node_dir "$run" "$id")" "$cid" &
    fpids+=("$!")
  done
  for fpid in "${fpids[@]}"; do wait "$fpid" || die "storage format failed"; done
  if [[ -z $launched ]]; then
    if got=$(broker_ids "$bootstrap") && all_in "$ids" "$got"; then
      info "already running and answering on $bootstrap"
      return 0
    fi
    info "already started, waiting for it to answer on $bootstrap"
  else
    for id in $launched; do launch_node "$(node_dir "$run" "$id")"; done
    info "started node(s)$launched, waiting for $bootstrap"
  fi
  local t0=$SECONDS
  wait_ready "$run" "$bootstrap" "$ids"
  info "ready on $bootstrap after $((SECONDS - t0))s"
}

all_in() {
  local id
  for id in $1; do [[ " $2 " == *" $id "* ]] || return 1; done
}

# stop_nodes SIGNAL RUN_DIR "ALL IDS" IDS...: signal all at once, then wait
# for all. SIGKILL for what is left after the stop timeout, and sooner for a
# node that lost its controller quorum: with fewer than a majority of voters
# running, a stopping broker cannot get its controlled shutdown approved and
# Kafka 3.9 waits 5 minutes for it.
stop_nodes() {
  local sig=$1 run=$2 all=$3; shift 3
  local id dir pid pids=() stopping=()
  for id in "$@"; do
    dir=$(node_dir "$run" "$id")
    if pid=$(node_pid "$dir"); then
      kill "-$sig" "$pid" 2>/dev/null || true
      pids+=("$pid"); stopping+=("$id")
      info "node $id (pid $pid): sent SIG$sig"
    else
      rm -f "$dir/kafka.pid"
    fi
  done
  ((${#pids[@]})) || { info "nothing running in $run"; return 0; }
  local deadline=$((SECONDS + stop_timeout)) voters majority live left i why=''
  local lost_at=''
  voters=$(wc -w <<<"$all")
  majority=$((voters / 2 + 1))
  while :; do
    left=0
    for pid in "${pids[@]}"; do pid_alive "$pid" && left=1; done
    ((left)) || break
    live=0
    for id in $all; do
      # A stopping node still counts while its JVM runs: it still votes.
      if [[ " ${stopping[*]} " == *" $id "* ]]; then
        for i in "${!stopping[@]}"; do
          [[ ${stopping[$i]} == "$id" ]] && pid_alive "${pids[$i]}" && live=$((live + 1))
        done
      elif node_pid "$(node_dir "$run" "$id")" >/dev/null; then
        live=$((live + 1))
      fi
    done
    if ((live < majority)); then
      lost_at=${lost_at:-$SECONDS}
      if ((SECONDS - lost_at >= 3)); then
        why="no controller quorum left ($live of $voters voters running)"
      fi
    fi
    ((SECONDS >= deadline)) && why="still running after ${stop_timeout}s"
    if [[ -n $why ]]; then
      for i in "${!pids[@]}"; do
        if pid_alive "${pids[$i]}"; then
          info "node ${stopping[$i]} (pid ${pids[$i]}): $why: SIGKILL"
          kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
      done
      sleep 1
      for pid in "${pids[@]}"; do
        pid_alive "$pid" && die "pid $pid survived SIGKILL"
      done
      break
    fi
    sleep 0.2
  done
  for id in "${stopping[@]}"; do rm -f "$(node_dir "$run" "$id")/kafka.pid"; done
  info "stopped"
}

# status RUN_DIR BOOTSTRAP PORT0 "IDS": 0 when every node runs and answers,
# else 3.
status() {
  local run=$1 bootstrap=$2 port0=$3 ids=$4 id dir pid rc=0 got=
  got=$( [[ -f $libs/.complete ]] && broker_ids "$bootstrap" ) || got=
  for id in $ids; do
    dir=$(node_dir "$run" "$id")
    if pid=$(node_pid "$dir"); then
      if [[ " $got " == *" $id "* ]]; then
        echo "node $id: running (pid $pid), answering on 127.0.0.1:$((port0 + id - 1))"
      else
        echo "node $id: running (pid $pid), NOT answering on 127.0.0.1:$((port0 + id - 1))"
        rc=3
      fi
    else
      echo "node $id: stopped"
      rc=3
    fi
  done
  return $rc
}

# clean RUN_DIR IDS...: stop, then remove the run dir (data included).
clean() {
  local run=$1; shift
  stop_nodes TERM "$run" "$*" "$@"
  if [[ -d $run ]]; then
    [[ -f $run/.quackpipe-kafka ]] || die "$run was not made by kafka.sh; not removing it"
    rm -rf "$run"
    info "removed $run"
  fi
}

node_arg() {
  if ! [[ ${1:-} =~ ^[1-9]$ ]] || ((${1} > cluster_size)); then
    die "node number 1..$cluster_size expected, got '${1:-}'"
  fi
  echo "$1"
}

# ---------------------------------------------------------------- secure listener
# With QP_KAFKA_SECURE_PORT, the single node gets a SASL_SSL listener: TLS
# with a certificate for 127.0.0.1 signed by a CA made here, and SCRAM-SHA-512
# logins. Made once per run dir in $secure_dir (mode 700): ca.pem (what
# clients trust), broker.p12 (the broker's key store), a random password for
# the user $secure_user, and client.conf, the librdkafka keys a client needs
# (`quackpipe --config`), so that no password is on a command line. The
# PLAINTEXT listener stays for the tools and the tests' own checks.

make_secure_files() {
  [[ -f $secure_dir/client.conf ]] && return 0
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  local tmp
  mkdir -p "$single_dir"
  tmp=$(mktemp -d "$single_dir/.tls.XXXXXX")
  chmod 700 "$tmp"
  (
    cd "$tmp"
    test_ca_and_cert broker "" || exit 1
    test_secret >store.pass
    test_secret >user.pass
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
      -out broker.p12 -passout "file:store.pass"
  ) || { rm -rf "$tmp"; die "openssl could not make the test certificates"; }
  cat >"$tmp/client.conf" <<EOF
# Written by scripts/kafka.sh: a client of the TLS + SASL/SCRAM listener.
bootstrap.servers = 127.0.0.1:$secure_port
security.protocol = SASL_SSL
sasl.mechanisms = SCRAM-SHA-512
sasl.username = $secure_user
sasl.password = $(cat "$tmp/user.pass")
ssl.ca.location = $secure_dir/ca.pem
EOF
  chmod 600 "$tmp"/*
  rm -rf "$secure_dir"
  mv "$tmp" "$secure_dir"
}

secure_listener_config() {
  local pass
  pass=$(cat "$secure_dir/store.pass")
  cat <<EOF

# TLS + SASL/SCRAM listener (QP_KAFKA_SECURE_PORT)
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.secure.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.secure.ssl.keystore.location=$secure_dir/broker.p12
listener.name.secure.ssl.keystore.type=PKCS12
listener.name.secure.ssl.keystore.password=$pass
listener.name.secure.ssl.key.password=$pass
EOF
}

# The SCRAM user, through the PLAINTEXT listener (idempotent).
add_secure_user() {
  local out
  if ! out=$(run_tool kafka.admin.ConfigCommand --bootstrap-server "$single_bootstrap" --alter \
      --add-config "SCRAM-SHA-512=[iterations=4096,password=$(cat "$secure_dir/user.pass")]" \
      --entity-type users --entity-name "$secure_user" 2>&1); then
    echo "$out" | grep -v "password=" >&2
    die "could not add the SCRAM user $secure_user"
  fi
  info "TLS + SASL/SCRAM on 127.0.0.1:$secure_port, client config $secure_dir/client.conf"
}

start_single() {
  if [[ -n $secure_port ]]; then
    make_secure_files
    port_open "$secure_port" && ! node_pid "$(node_dir "$single_dir" 1)" >/dev/null &&
      die "port 127.0.0.1:$secure_port is taken by another process (QP_KAFKA_SECURE_PORT)"
  fi
  node_secure_port=$secure_port start_nodes "$single_dir" "$single_bootstrap" 1 1 "$single_port" "$single_ctl_port" 1 1
  [[ -z $secure_port ]] || add_secure_user
}


usage() {
  sed -n '2,15s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# ---------------------------------------------------------------- main

single_bootstrap=127.0.0.1:$single_port
cluster_bootstrap=$(for i in $(seq 0 $((cluster_size - 1))); do echo "127.0.0.1:$((cluster_port + i))"; done | paste -sd,)

case ${1:-} in
  fetch) fetch ;;
  start) start_single ;;
  secure-conf)
    [[ -f $secure_dir/client.conf ]] || die "no $secure_dir/client.conf: start with QP_KAFKA_SECURE_PORT set"
    echo "$secure_dir/client.conf"
    ;;
  stop) stop_nodes TERM "$single_dir" 1 1 ;;
  status) status "$single_dir" "$single_bootstrap" "$single_port" 1 ;;
  bootstrap) echo "$single_bootstrap" ;;
  clean) clean "$single_dir" 1 ;;
  run)
    shift
    [[ $# -ge 1 ]] || usage
    ensure_fetched
    cls=$(tool_class "$1"); shift
    run_tool "$cls" "$@"
    ;;
  cluster)
    shift
    ids=$(seq -s ' ' 1 "$cluster_size")
    read -ra id_list <<<"$ids"
    case ${1:-} in
      start) start_nodes "$cluster_dir" "$cluster_bootstrap" 3 2 "$cluster_port" "$cluster_ctl_port" "$ids" "$ids" ;;
      stop) stop_nodes TERM "$cluster_dir" "$ids" "${id_list[@]}" ;;
      status) status "$cluster_dir" "$cluster_bootstrap" "$cluster_port" "$ids" ;;
      bootstrap) echo "$cluster_bootstrap" ;;
      clean) clean "$cluster_dir" "${id_list[@]}" ;;
      start-node)
        n=$(node_arg "${2:-}")
        start_nodes "$cluster_dir" "127.0.0.1:$((cluster_port + n - 1))" 3 2 "$cluster_port" "$cluster_ctl_port" "$ids" "$n"
        ;;
      stop-node | kill-node)
        n=$(node_arg "${2:-}")
        sig=TERM; [[ $1 == kill-node ]] && sig=KILL
        stop_nodes "$sig" "$cluster_dir" "$ids" "$n"
        ;;
      *) usage ;;
    esac
    ;;
  *) usage ;;
esac
