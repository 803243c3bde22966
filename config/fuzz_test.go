package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input makes Parse panic or hang; every error is an *Error
// or Errors whose problems are one line each, start with the file name
// and carry no control characters (file text is quoted escaped); and a
// configuration that parses prints (Redacted) as a file that parses again.
func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile("../config.example.toml"); err == nil {
		f.Add(string(example))
	}
	f.Add(starter)
	f.Add(trickyTOML)
	f.Add("")
	f.Add("\xef\xbb\xbf[probe]\ntimeout = \"1s\"\n")
	f.Add("[probe]\ntimeout = \n")
	f.Add("[probe]\ntimout = \"1s\"\nrounds = 0\nconcurrency = 99999\n")
	f.Add("[probe]\nuser_agent = \"\\u001b]0;x\\u0007\"\nheaders = [\"X-A: \\u001b[31m\"]\n")
	f.Add("origins = [\"https://bücher.example\", \"https://a.example/p?q#f\", \"null\"]\n")
	f.Add("[[targets]]\nurl = \"http://[::1]:8080/x\"\n[[targets]]\nurl = \"example.com\"\n")
	f.Add("[[purge]]\nprovider = \"cloudflare\"\ntoken = \"abc\"\nzone_id = \"z\"\nbatch_size = 0\n")
	f.Add("[[purge]]\nprovider = \"http\"\nurl_template = \"{nope}\"\nhosts = [\"*.a.*\"]\n")
	f.Add("[keys]\nquit = [1, \"q\"]\n[themes.x]\naccent = 300\nbase = 1\n")
	f.Add("[probe]\nrate = nan\nbody_limit = \"99999999999999999999GiB\"\n")
	f.Add("a = \"\"\"\nunterminated")
	f.Add("[[\n")
	f.Add("x.\"\x1b\".y = 1\n")
	f.Fuzz(func(t *testing.T, src string) {
		const name = "fuzz.toml"
		cfg, err := Parse([]byte(src), name)
		if err != nil {
			checkOneLineErrors(t, name, err)
			return
		}
		again, err := Parse([]byte(cfg.Redacted()), name)
		if err != nil {
			t.Fatalf("Redacted output does not parse: %v\n%s", err, cfg.Redacted())
		}
		if again.Redacted() != cfg.Redacted() {
			t.Fatalf("Redacted output is not stable:\n%s\n---\n%s", cfg.Redacted(), again.Redacted())
		}
	})
}

func checkOneLineErrors(t *testing.T, name string, err error) {
	t.Helper()
	var list Errors
	var one *Error
	switch {
	case errors.As(err, &list):
		if len(list) == 0 {
			t.Fatal("empty Errors")
		}
	case errors.As(err, &one):
		list = Errors{one}
	default:
		t.Fatalf("error of type %T: %v", err, err)
	}
	for _, e := range list {
		line := e.Error()
		if !strings.HasPrefix(line, name+":") || e.Msg == "" {
			t.Errorf("problem %q does not name the file or says nothing", line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("problem %q is not valid UTF-8", line)
		}
		for _, r := range line {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
				t.Errorf("problem %q holds control character %U", line, r)
				break
			}
		}
	}
	if got := strings.Count(err.Error(), "\n"); got != len(list)-1 {
		t.Errorf("%d problems on %d lines: %q", len(list), got+1, err.Error())
	}
}
