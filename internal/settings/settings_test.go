package settings

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	ok := map[string]int64{"65536": 65536, "64KiB": 65536, "64kib": 65536, "1MiB": 1 << 20, "2KB": 2000, "1 MB": 1000000, "10b": 10, "0": 0, " 3 GiB ": 3 << 30}
	for in, want := range ok {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1", "+5", "1.5MiB", "64k", "0x10", "99999999999GiB", "99999999999999999999"} {
		if n, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, n)
		}
	}
}

// FormatSize writes what ParseSize reads back to the same number.
func TestFormatSizeRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 1, 1000, 1 << 10, 3 << 20, 5 << 30, 64<<10 + 1, MaxBodyLimit} {
		s := FormatSize(n)
		if got, err := ParseSize(s); err != nil || got != n {
			t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v", n, s, got, err)
		}
	}
	if got := FormatSize(256 << 10); got != "256KiB" {
		t.Errorf("FormatSize(256KiB) = %q", got)
	}
}

// A header's value may be a credential: no complaint quotes it.
func TestParseHeaderNeverQuotesTheValue(t *testing.T) {
	for _, line := range []string{
		"Authorization Bearer s3cr3t-token",
		"Authorization: Bearer s3cr3t-token\r\n",
		"Authorization: Bearer s3cr3t-token\x00",
		"Bad Name: s3cr3t-token",
		"Host: s3cr3t-token",
		"Origin: s3cr3t-token",
	} {
		_, err := ParseHeader(line)
		if err == nil {
			t.Fatalf("ParseHeader(%q) accepted it", line)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseHeader(%q): %q shows the value", line, err)
		}
	}
	h, err := ParseHeader("  X-Debug :  1 \t")
	if err != nil || h.Name != "X-Debug" || h.Value != "1" {
		t.Errorf("ParseHeader = %+v, %v", h, err)
	}
}

// Each bound holds at its edge: the limit passes, one past it fails.
func TestValidateBounds(t *testing.T) {
	set := func(f func(*Probe)) []*Error {
		p := Defaults()
		f(&p)
		_, errs := p.Validate()
		return errs
	}
	if errs := set(func(*Probe) {}); len(errs) != 0 {
		t.Fatalf("the defaults fail: %v", errs)
	}
	cases := []struct {
		name    Name
		ok, bad func(*Probe)
	}{
		{Concurrency, func(p *Probe) { p.Concurrency = MaxConcurrency }, func(p *Probe) { p.Concurrency = MaxConcurrency + 1 }},
		{HostConcurrency, func(p *Probe) { p.HostConcurrency = 1 }, func(p *Probe) { p.HostConcurrency = 0 }},
		{Rounds, func(p *Probe) { p.Rounds = MaxRounds }, func(p *Probe) { p.Rounds = MaxRounds + 1 }},
		{FollowRedirects, func(p *Probe) { p.FollowRedirects = MaxRedirects }, func(p *Probe) { p.FollowRedirects = -1 }},
		{BodyLimit, func(p *Probe) { p.BodyLimit = MaxBodyLimit }, func(p *Probe) { p.BodyLimit = MaxBodyLimit + 1 }},
		{MaxHeaderBytes, func(p *Probe) { p.MaxHeaderBytes = MinMaxHeaderBytes }, func(p *Probe) { p.MaxHeaderBytes = MinMaxHeaderBytes - 1 }},
		{CacheBuster, func(p *Probe) { p.CacheBuster = strings.Repeat("a", MaxBusterLen) }, func(p *Probe) { p.CacheBuster = strings.Repeat("a", MaxBusterLen+1) }},
		{Edges, func(p *Probe) { p.Edges = edges(MaxEdges) }, func(p *Probe) { p.Edges = edges(MaxEdges + 1) }},
		{Edges, func(p *Probe) { p.Edges = []string{"127.0.0.1", "127.0.0.1:80"} }, func(p *Probe) { p.Edges, p.Proxy = []string{"127.0.0.1"}, "http://127.0.0.1:3128" }},
	}
	for _, c := range cases {
		if errs := set(c.ok); len(errs) != 0 {
			t.Errorf("%s at its limit: %v", c.name, errs)
		}
		errs := set(c.bad)
		if len(errs) != 1 || errs[0].Name != c.name {
			t.Errorf("%s past its limit: %v, want one error naming it", c.name, errs)
		}
	}
}

// edges lists n distinct edge addresses.
func edges(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("127.0.0.1:%d", 8000+i)
	}
	return out
}
