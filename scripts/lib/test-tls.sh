# Sourced by scripts/kafka.sh and scripts/clickhouse.sh: certificates and
# secrets made at test time for their TLS listeners, on loopback only.

# test_ca_and_cert NAME WHO: in the current directory, a CA (ca.key, ca.pem,
# named after WHO) and NAME.key / NAME.pem for 127.0.0.1 and localhost,
# signed by it, valid 30 days.
test_ca_and_cert() {
  local name=$1 who=$2
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
    -subj "/CN=quackpipe test CA$who" 2>/dev/null &&
  openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=127.0.0.1" 2>/dev/null &&
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out "$name.pem" -days 30 -extfile san.ext 2>/dev/null
}

# test_secret: 24 random URL-safe characters, no newline.
test_secret() {
  head -c 18 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n'
}
