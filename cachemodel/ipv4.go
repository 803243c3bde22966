package cachemodel

import (
	"errors"
	"strconv"
	"strings"
)

// whatwgIPv4 applies the URL Standard's host parser to an ASCII host that
// is not an IPv6 literal: when the host "ends in a number" it is an IPv4
// address in one of the forms browsers accept (1.2.3 is 1.2.0.3,
// 0x7f.0.0.1 and 0177.0.0.1 are 127.0.0.1, 2130706433 is 127.0.0.1) and is
// serialised dotted-decimal; a host that ends in a number but is no valid
// address makes the URL invalid. ok is false for a domain name, which is
// returned as it is.
func whatwgIPv4(host string) (addr string, ok bool, err error) {
	parts := strings.Split(host, ".")
	if !endsInNumber(parts) {
		return host, false, nil
	}
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return "", true, errors.New("more than four parts in an IPv4 address")
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return "", true, errors.New("an IPv4 address part is not a number")
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return "", true, errors.New("an IPv4 address part is larger than 255")
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return "", true, errors.New("the IPv4 address is out of range")
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return strconv.FormatUint(v>>24, 10) + "." + strconv.FormatUint(v>>16&0xff, 10) + "." +
		strconv.FormatUint(v>>8&0xff, 10) + "." + strconv.FormatUint(v&0xff, 10), true, nil
}

// endsInNumber is the URL Standard's "ends in a number" test.
func endsInNumber(parts []string) bool {
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok && (strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X"))
}

// ipv4Number parses one part: 0x hex, a leading 0 octal, else decimal.
// Values are capped so that no input overflows.
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		if n < 1<<40 {
			n = n*base + d
		}
	}
	return n, true
}
