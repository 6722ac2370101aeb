#!/usr/bin/env bash
# Installs what building and testing libquackpipe needs, from Debian's
# packages. Fast when everything is already there.
set -euo pipefail
packages=(build-essential cmake pkg-config librdkafka-dev libcjson-dev
          libcurl4-openssl-dev libcmocka-dev swig clang libclang-rt-14-dev
          python3-dev default-jre-headless maven curl
          zlib1g-dev npm libssl-dev libmicrohttpd-dev openssl
          python3-venv dpkg-dev systemd unzip)
# zlib: gzip for ClickHouse and ingest; npm: scripts/chdb.sh; libssl-dev:
# the push providers' JWTs and HMAC (src/push), the ingest API's key hashes
# and signatures and the dead letters' digest (src/base/digest.c); libmicrohttpd-dev: `quackpipe ingest`;
# openssl: the certificates of its TLS test and of scripts/kafka.sh's and
# scripts/clickhouse.sh's secure listeners; python3-venv, dpkg-dev, systemd:
# the packaging tests (venvs, .deb with dpkg-shlibdeps, systemd-analyze);
# unzip: scripts/go.sh's Go release
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Java 17, Maven and npm (with Node.js) may come from outside Debian's packages on some machines.
if command -v java >/dev/null; then missing=("${missing[@]/default-jre-headless}"); fi
if command -v mvn >/dev/null; then missing=("${missing[@]/maven}"); fi
if command -v npm >/dev/null; then missing=("${missing[@]/npm}"); fi
# pytest runs the Python binding's tests; a pip-installed one does as well.
python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
read -r -a missing <<<"${missing[*]}"
if ((${#missing[@]})); then
  sudo=; [[ $(id -u) == 0 ]] || sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: build dependencies present"
# Go >= 1.24 (the Go binding, the push double, the benchmarks): the one on
# PATH, or Go's release from the module proxy (Debian 12's is 1.19).
go_bin=$(bash "$(dirname "$0")/go.sh")
echo "setup: $("$go_bin/go" version) ($go_bin; scripts/test.sh puts it on PATH)"
