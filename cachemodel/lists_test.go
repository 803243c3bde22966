package cachemodel

import (
	"reflect"
	"testing"
)

func TestParseFieldList(t *testing.T) {
	cases := []struct {
		in     []string
		want   []string
		wantOK bool
	}{
		{nil, nil, true},
		{[]string{"GET, POST"}, []string{"GET", "POST"}, true},
		{[]string{"Origin", "Accept-Encoding"}, []string{"Origin", "Accept-Encoding"}, true},
		{[]string{" , x-a,,\tx-b , "}, []string{"x-a", "x-b"}, true},
		{[]string{"*"}, []string{"*"}, true},
		{[]string{"x a, b"}, []string{"x a", "b"}, false},
		{[]string{`"quoted"`}, []string{`"quoted"`}, false},
	}
	for _, c := range cases {
		got, ok := ParseFieldList(c.in)
		if !reflect.DeepEqual(got, c.want) || ok != c.wantOK {
			t.Errorf("ParseFieldList(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.wantOK)
		}
	}
}

func TestHeadersLookup(t *testing.T) {
	h := Headers{{"Access-Control-Allow-Origin", "https://a.example"}, {"vary", "Origin"}, {"ACCESS-CONTROL-ALLOW-ORIGIN", "https://b.example"}}
	if v, ok := h.Get("access-control-allow-origin"); !ok || v != "https://a.example" {
		t.Fatalf("Get = %q %v", v, ok)
	}
	if n := h.Count("Access-Control-Allow-Origin"); n != 2 {
		t.Fatalf("Count = %d", n)
	}
	if v, ok := h.Combined("Access-Control-Allow-Origin"); !ok || v != "https://a.example, https://b.example" {
		t.Fatalf("Combined = %q %v", v, ok)
	}
	if _, ok := h.Combined("X-Missing"); ok {
		t.Fatal("Combined of a missing header must say so")
	}
	c := h.Clone()
	c[0].Value = "changed"
	if h[0].Value == "changed" {
		t.Fatal("Clone shares storage")
	}
}
