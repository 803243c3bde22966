package cachemodel

import "testing"

// The URL Standard's IPv4 forms, as browsers parse them.
func TestWHATWGIPv4(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ip, bad  bool
	}{
		{"1.2.3", "1.2.0.3", true, false},
		{"0x7f.0.0.1", "127.0.0.1", true, false},
		{"0177.0.0.1", "127.0.0.1", true, false},
		{"2130706433", "127.0.0.1", true, false},
		{"127.1", "127.0.0.1", true, false},
		{"1.2.3.4.", "1.2.3.4", true, false},
		{"0x", "0.0.0.0", true, false},
		{"1.2.3.256", "", true, true},
		{"256.1.1.1", "", true, true},
		{"1.2.3.4.5", "", true, true},
		{"09.1.1.1", "", true, true},
		{"1.2.3.0x1g", "1.2.3.0x1g", false, false},
		{"app.example.com", "app.example.com", false, false},
		{"example.123", "", true, true},
		{"4294967296", "", true, true},
		{"99999999999999999999999", "", true, true},
	} {
		got, ip, err := whatwgIPv4(tt.in)
		if ip != tt.ip || (err != nil) != tt.bad || (!tt.bad && got != tt.want) {
			t.Errorf("%q: %q ip=%v err=%v, want %q ip=%v bad=%v", tt.in, got, ip, err, tt.want, tt.ip, tt.bad)
		}
	}
}
