#!/usr/bin/env bash
# scripts/clickhouse.sh start|stop|status|url
#
# Runs a private clickhouse-server (Debian's package, 18.16) for tests and
# benchmarks: its own config, data, tmp and logs under one run directory,
# listening on 127.0.0.1 only, no interserver port. `stop` ends exactly the
# process `start` recorded, nothing else.
#
# Environment:
#   QP_CH_RUN_DIR        run directory (default /tmp/quackpipe-clickhouse)
#   QP_CH_HTTP_PORT      HTTP port (default 18123)
#   QP_CH_TCP_PORT       native TCP port (default 19000)
#   QP_CH_START_TIMEOUT  seconds to wait for GET /ping (default 60)
#   QP_CH_HTTPS_PORT     also serve HTTPS there, with a certificate for
#                        127.0.0.1 signed by a CA made at start, and a user
#                        with a random password (see `clickhouse.sh secure-conf`)
#
#   clickhouse.sh secure-conf   the client config file (qp.inserter.* keys) of
#                               the HTTPS port: URL, user, password, CA
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/test-tls.sh"

run_dir=${QP_CH_RUN_DIR:-/tmp/quackpipe-clickhouse}
http_port=${QP_CH_HTTP_PORT:-18123}
tcp_port=${QP_CH_TCP_PORT:-19000}
start_timeout=${QP_CH_START_TIMEOUT:-60}
https_port=${QP_CH_HTTPS_PORT:-}
tls_dir=$run_dir/tls
secure_user=quackpipe_tls
pid_file=$run_dir/server.pid
url=http://127.0.0.1:$http_port

die() { echo "clickhouse.sh: $*" >&2; exit 1; }

server_bin() { command -v clickhouse-server || { [[ -x /usr/sbin/clickhouse-server ]] && echo /usr/sbin/clickhouse-server; } || true; }

install_server() {
  [[ -n $(server_bin) ]] && return 0
  command -v apt-get >/dev/null || die "clickhouse-server is missing and apt-get is not available"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  echo "clickhouse.sh: installing Debian's clickhouse-server with apt-get" >&2
  if ! apt-cache show clickhouse-server >/dev/null 2>&1; then
    $sudo apt-get update -qq >&2
  fi
  # policy-rc.d (present in containers) keeps the package's own service from
  # starting; ours runs with its own config below either way.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    clickhouse-server >&2 || die "apt-get install clickhouse-server failed"
  [[ -n $(server_bin) ]] || die "clickhouse-server still missing after apt-get install"
}

recorded_pid() {
  [[ -f $pid_file ]] || return 1
  local pid
  pid=$(cat "$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  # Only a live clickhouse-server running our config counts: a stale pid file
  # must never make us signal some unrelated process that reused the pid.
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--config-file=$run_dir/config.xml" || return 1
  echo "$pid"
}

ping_ok() { [[ $(curl -s --max-time 2 "$url/ping" 2>/dev/null) == "Ok." ]]; }

# ---- HTTPS (QP_CH_HTTPS_PORT): made once per run dir in $tls_dir (mode 700):
# ca.pem (what clients trust), the server's key and certificate for
# 127.0.0.1, a random password for $secure_user (the server keeps only its
# SHA-256), and client.conf, the qp.inserter.* keys a client needs
# (`quackpipe --config`), so that no password is on a command line.
make_tls_files() {
  [[ -f $tls_dir/client.conf ]] && return 0
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  local tmp
  mkdir -p "$run_dir"
  tmp=$(mktemp -d "$run_dir/.tls.XXXXXX")
  chmod 700 "$tmp"
  (
    cd "$tmp"
    test_ca_and_cert server " (ClickHouse)" || exit 1
    test_secret >user.pass
    sha256sum <user.pass | cut -d' ' -f1 >user.sha256
  ) || { rm -rf "$tmp"; die "openssl could not make the test certificates"; }
  cat >"$tmp/client.conf" <<EOF
# Written by scripts/clickhouse.sh: a client of the HTTPS port.
qp.inserter.backend = http
qp.inserter.url = https://127.0.0.1:$https_port
qp.inserter.user = $secure_user
qp.inserter.password = $(cat "$tmp/user.pass")
qp.inserter.tls.ca.location = $tls_dir/ca.pem
EOF
  chmod 600 "$tmp"/*
  rm -rf "$tls_dir"
  mv "$tmp" "$tls_dir"
}

https_config() {
  [[ -n $https_port ]] || return 0
  cat <<XML
    <https_port>$https_port</https_port>
    <openSSL>
        <server>
            <certificateFile>$tls_dir/server.pem</certificateFile>
            <privateKeyFile>$tls_dir/server.key</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>
XML
}

secure_user_config() {
  [[ -n $https_port ]] || return 0
  cat <<XML
        <$secure_user>
            <password_sha256_hex>$(cat "$tls_dir/user.sha256")</password_sha256_hex>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </$secure_user>
XML
}

write_config() {
  mkdir -p "$run_dir"/{data,tmp,log,user_files,format_schemas}
  cat >"$run_dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>information</level>
        <log>$run_dir/log/clickhouse-server.log</log>
        <errorlog>$run_dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$http_port</http_port>
$(https_config)
    <tcp_port>$tcp_port</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>64</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$run_dir/data/</path>
    <tmp_path>$run_dir/tmp/</tmp_path>
    <user_files_path>$run_dir/user_files/</user_files_path>
    <format_schema_path>$run_dir/format_schemas/</format_schema_path>
    <users_config>$run_dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
</yandex>
XML
  # Two users: "default" without a password, and "quackpipe" with one, so the
  # inserter's X-ClickHouse-User/Key headers are exercised for real.
  cat >"$run_dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <quackpipe>
            <password>quackpipe</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </quackpipe>
$(secure_user_config)
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
}

cmd_start() {
  local pid bin waited=0
  if pid=$(recorded_pid); then
    ping_ok && { echo "$url"; return 0; }
  fi
  install_server
  bin=$(server_bin)
  if ping_ok; then
    die "something else already answers on $url (set QP_CH_HTTP_PORT to another port)"
  fi
  [[ -z $https_port ]] || make_tls_files
  write_config
  # setsid: the server survives the calling shell and gets its own process
  # group, so `stop` can signal exactly it.
  setsid "$bin" --config-file="$run_dir/config.xml" \
    >"$run_dir/log/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"
  while ! ping_ok; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      echo "clickhouse.sh: clickhouse-server exited during start-up; log tail:" >&2
      tail -n 30 "$run_dir/log/clickhouse-server.err.log" "$run_dir/log/stdout.log" >&2 2>/dev/null || true
      exit 1
    fi
    if (( waited >= start_timeout * 5 )); then
      echo "clickhouse.sh: no answer from $url/ping after ${start_timeout}s; log tail:" >&2
      tail -n 30 "$run_dir/log/clickhouse-server.err.log" "$run_dir/log/stdout.log" >&2 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
      rm -f "$pid_file"
      exit 1
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  echo "$url"
}

cmd_stop() {
  local pid i
  if ! pid=$(recorded_pid); then
    rm -f "$pid_file"
    echo "clickhouse.sh: not running (no server started from $run_dir)" >&2
    return 0
  fi
  kill -TERM "$pid"
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "clickhouse.sh: server $pid ignored SIGTERM for 30s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
  echo "clickhouse.sh: stopped server $pid" >&2
}

cmd_status() {
  local pid
  if pid=$(recorded_pid) && ping_ok; then
    echo "running pid=$pid url=$url run_dir=$run_dir"
    return 0
  fi
  if pid=$(recorded_pid); then
    echo "starting or stuck pid=$pid url=$url (no answer to /ping)"
    return 1
  fi
  echo "stopped"
  return 3
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "$url" ;;
  secure-conf)
    [[ -f $tls_dir/client.conf ]] || die "no $tls_dir/client.conf: start with QP_CH_HTTPS_PORT set"
    echo "$tls_dir/client.conf"
    ;;
  *) echo "usage: $0 start|stop|status|url|secure-conf" >&2; exit 2 ;;
esac
