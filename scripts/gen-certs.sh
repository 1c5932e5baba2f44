#!/usr/bin/env bash
# Generates a CA, a server certificate and a client certificate for berthd's
# mutual-TLS TCP listener, the way Docker's "Protect the Docker daemon socket"
# guide does with openssl.
#   scripts/gen-certs.sh DIR [HOST...]
# DIR receives ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem
# (cert.pem/key.pem/ca.pem is the layout DOCKER_CERT_PATH expects).
# DAYS (365) and KEY_BITS (4096) override validity and RSA key size.
# The server certificate's SANs: every HOST given, plus localhost, 127.0.0.1 and ::1.
#   berthd -H tcp://127.0.0.1:2376 --tlsverify --tlscacert DIR/ca.pem --tlscert DIR/server-cert.pem --tlskey DIR/server-key.pem
#   DOCKER_CERT_PATH=DIR DOCKER_TLS_VERIFY=1 docker -H tcp://127.0.0.1:2376 version
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 DIR [HOST...]" >&2
  exit 2
fi
dir=$1
shift
days=${DAYS:-365}
bits=${KEY_BITS:-4096}
mkdir -p "$dir"
cd "$dir"
umask 077

sans="DNS:localhost,IP:127.0.0.1,IP:::1"
cn=localhost
for host in "$@"; do
  cn=$host
  if [[ $host =~ ^[0-9.]+$ || $host == *:* ]]; then sans="$sans,IP:$host"; else sans="$sans,DNS:$host"; fi
done

openssl genrsa -out ca-key.pem "$bits" 2>/dev/null
openssl req -new -x509 -days "$days" -key ca-key.pem -sha256 -subj "/CN=berth CA" -out ca.pem

openssl genrsa -out server-key.pem "$bits" 2>/dev/null
openssl req -subj "/CN=$cn" -sha256 -new -key server-key.pem -out server.csr
printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth\n' "$sans" > extfile.cnf
openssl x509 -req -days "$days" -sha256 -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem -extfile extfile.cnf 2>/dev/null

openssl genrsa -out key.pem "$bits" 2>/dev/null
openssl req -subj '/CN=client' -new -key key.pem -out client.csr
printf 'extendedKeyUsage = clientAuth\n' > extfile-client.cnf
openssl x509 -req -days "$days" -sha256 -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem -extfile extfile-client.cnf 2>/dev/null

rm -f server.csr client.csr extfile.cnf extfile-client.cnf ca.srl
chmod 0400 ca-key.pem key.pem server-key.pem
chmod 0444 ca.pem server-cert.pem cert.pem
echo "certificates written to $dir" >&2
