package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/corscope/corscope/cachemodel"
)

// parseHeaderFlag reads a curl-style "Name: value" header.
func parseHeaderFlag(s string) (cachemodel.Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return cachemodel.Header{}, fmt.Errorf("%q is not 'Name: value'", s)
	}
	name = strings.TrimSpace(name)
	if !isMethodToken(name) {
		return cachemodel.Header{}, fmt.Errorf("%q is not a valid header name", name)
	}
	value = strings.Trim(value, " \t")
	if hasControl(value) {
		return cachemodel.Header{}, fmt.Errorf("header %s has a control character in its value", name)
	}
	if strings.EqualFold(name, "Host") {
		return cachemodel.Header{}, fmt.Errorf("set Host with --resolve host:port:addr instead of -H 'Host: ...'")
	}
	if strings.EqualFold(name, "Origin") {
		// Every variant sets its own Origin; a second one would spoil them.
		return cachemodel.Header{}, fmt.Errorf("set origins with --origin instead of -H 'Origin: ...' (each variant sends its own)")
	}
	return cachemodel.Header{Name: name, Value: value}, nil
}

// hasControl reports C0 controls other than TAB, and DEL.
func hasControl(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// isMethodToken reports whether s is an HTTP token (methods and header
// names are both tokens).
func isMethodToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseSize reads a byte size: a plain number, or a number with a unit, as
// the config file reads it: KiB/MiB/GiB are powers of 1024, KB/MB/GB of
// 1000.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	lower := strings.ToLower(t)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(lower, u.suffix) {
			t = strings.TrimSpace(t[:len(t)-len(u.suffix)])
			mult = u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size like 65536, 64KiB or 1MiB", s)
	}
	if n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}
