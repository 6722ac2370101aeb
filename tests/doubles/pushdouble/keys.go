package main

// Keys, certificates and the service account the double makes at start, so
// that no secret is ever committed: the C side reads them from -dir.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

type keys struct {
	tlsCert tls.Certificate
	fcmKey  *rsa.PrivateKey   // the test service account's key
	apnsKey *ecdsa.PrivateKey // the APNs auth key (.p8)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// makeKeys writes ca.pem (a self-signed loopback certificate), apns-key.p8
// and service-account.json (whose token_uri points at this double) to dir.
func makeKeys(dir, base string) (*keys, error) {
	k := &keys{}
	tlsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "pushdouble"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &tlsKey.PublicKey, tlsKey)
	if err != nil {
		return nil, err
	}
	k.tlsCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: tlsKey}
	if err := writePEM(filepath.Join(dir, "ca.pem"), "CERTIFICATE", der); err != nil {
		return nil, err
	}

	if k.apnsKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k.apnsKey)
	if err != nil {
		return nil, err
	}
	if err := writePEM(filepath.Join(dir, "apns-key.p8"), "PRIVATE KEY", p8); err != nil {
		return nil, err
	}

	if k.fcmKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(k.fcmKey)
	if err != nil {
		return nil, err
	}
	account, err := json.MarshalIndent(map[string]string{
		"type":           "service_account",
		"project_id":     projectID,
		"private_key_id": "pushdouble-key-1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})),
		"client_email":   clientEmail,
		"token_uri":      base + "/token",
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	return k, os.WriteFile(filepath.Join(dir, "service-account.json"), account, 0o600)
}
