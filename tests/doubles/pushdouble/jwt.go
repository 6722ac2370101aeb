package main

// The two JWT flavours the providers check: RS256 (an FCM service account's
// assertion) and ES256 with the raw 64-byte R||S signature (an APNs
// provider token). Hand-written on the standard library, as the real
// servers would reject anything else.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

type jwt struct {
	header map[string]any
	claims map[string]any
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// verifyJWT checks alg and the signature with pub, then decodes the parts.
func verifyJWT(token, alg string, pub crypto.PublicKey) (*jwt, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not three dot-separated parts")
	}
	var t jwt
	for i, dst := range []*map[string]any{&t.header, &t.claims} {
		raw, err := b64(parts[i])
		if err != nil {
			return nil, fmt.Errorf("part %d is not base64url: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return nil, fmt.Errorf("part %d is not JSON: %v", i, err)
		}
	}
	if t.header["alg"] != alg {
		return nil, fmt.Errorf("alg %v, want %s", t.header["alg"], alg)
	}
	sig, err := b64(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature is not base64url: %v", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch key := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
			return nil, fmt.Errorf("RS256 signature: %v", err)
		}
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return nil, fmt.Errorf("ES256 signature is %d bytes, want raw R||S of 64", len(sig))
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(key, digest[:], r, s) {
			return nil, errors.New("ES256 signature does not verify")
		}
	}
	return &t, nil
}

func (t *jwt) num(name string) (int64, error) {
	v, ok := t.claims[name].(float64)
	if !ok {
		return 0, fmt.Errorf("claim %s missing or not a number", name)
	}
	return int64(v), nil
}
