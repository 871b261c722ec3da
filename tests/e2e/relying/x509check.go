// A relying party on Go's crypto/x509 (standard library only, nothing of
// Troth's): for each certificate PEM file named on the command line it
// parses the certificate (Go refuses a whole certificate over one SAN URI it
// cannot parse), verifies it up to the roots in $ROOTS with the
// intermediates in the file, and prints one JSON line: {"file", "ok",
// "error", "uris"} with each SAN URI as Go gives it back (URL.String()).
package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
)

type result struct {
	File  string   `json:"file"`
	Ok    bool     `json:"ok"`
	Error string   `json:"error"`
	URIs  []string `json:"uris"`
}

func certs(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		out = append(out, b.Bytes)
	}
}

func check(path string, roots *x509.CertPool) result {
	r := result{File: path, URIs: []string{}}
	ders, err := certs(path)
	if err != nil || len(ders) == 0 {
		r.Error = fmt.Sprint("no certificate: ", err)
		return r
	}
	leaf, err := x509.ParseCertificate(ders[0])
	if err != nil {
		r.Error = err.Error()
		return r
	}
	for _, u := range leaf.URIs {
		r.URIs = append(r.URIs, u.String())
	}
	inter := x509.NewCertPool()
	for _, d := range ders[1:] {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			r.Error = err.Error()
			return r
		}
		inter.AddCert(c)
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Ok = true
	return r
}

func main() {
	roots := x509.NewCertPool()
	data, err := os.ReadFile(os.Getenv("ROOTS"))
	if err != nil || !roots.AppendCertsFromPEM(data) {
		fmt.Fprintln(os.Stderr, "cannot read the roots in $ROOTS")
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		enc.Encode(check(path, roots))
	}
}
