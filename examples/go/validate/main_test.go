package main

import (
	"os"
	"strings"
	"testing"
)

func TestValidateTheSampleFile(t *testing.T) {
	f, err := os.Open("../../../bindings/testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	valid, refused, err := validate(f, &out)
	if err != nil || valid != 2 || refused != 3 {
		t.Fatalf("valid %d refused %d err %v\n%s", valid, refused, err, out.String())
	}
	for _, want := range []string{
		"line 2: gps.lat: 123.4 is outside [-90, 90] [QP_ERR_FIELD_RANGE]\n",
		"line 3: wifi[2].rssi_dbm: ",
		"line 5: offset ",
		"2 valid, 3 refused\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
