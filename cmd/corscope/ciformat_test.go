package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/demo"
)

// TestDemoCheckSARIF: `demo --check --format sarif` reports, per demo path,
// exactly the findings the JSON report has (demoExpected), each as a
// result whose rule is in the driver's rules, located at the URL.
func TestDemoCheckSARIF(t *testing.T) {
	code, out, errs := runCLI(t, "", "demo", "--check", "--format", "sarif")
	if code != exitOK {
		t.Fatalf("demo --check --format sarif: exit %d: %s", code, errs)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Properties struct {
					Severity string `json:"severity"`
				} `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "corscope" {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	var ids []string
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	got := map[string][]string{}
	for _, r := range log.Runs[0].Results {
		if !slices.Contains(ids, r.RuleID) || len(r.Locations) != 1 {
			t.Fatalf("result %+v: rule not in driver.rules or not one location", r)
		}
		u := r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		i := strings.Index(u, "/cors/")
		if !strings.HasPrefix(u, "http://127.0.0.1:") || i < 0 {
			t.Fatalf("location %q", u)
		}
		got[u[i:]] = append(got[u[i:]], r.RuleID+":"+r.Properties.Severity)
	}
	for _, p := range demo.Paths {
		if p.Path == demo.BigPath {
			continue
		}
		sort.Strings(got[p.Path])
		if g := strings.Join(got[p.Path], " "); g != demoExpected[p.Path].findings {
			t.Errorf("%s: SARIF results %q, JSON findings %q", p.Path, g, demoExpected[p.Path].findings)
		}
	}
}

// TestCheckJUnitFailOn: check --format junit against the demo's URLs turns
// the findings at or above --fail-on into failures (and exits 1), one test
// case per target.
func TestCheckJUnitFailOn(t *testing.T) {
	env, err := demo.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	args := []string{"check", "--format", "junit", "--fail-on", "high", "--origin", env.Origins[0], "--origin", env.Origins[1]}
	var paths []string
	for _, u := range env.Targets {
		if strings.HasSuffix(u, "/cors/no-vary.json") || strings.HasSuffix(u, "/cors/vary.json") {
			args = append(args, u)
			paths = append(paths, u)
		}
	}
	code, out, errs := runCLI(t, "", args...)
	if code != exitFindings {
		t.Fatalf("exit %d, want %d: %s", code, exitFindings, errs)
	}
	var s struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Errors   int `xml:"errors,attr"`
			Cases    []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = true
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	if len(s.Suites) != 1 || s.Suites[0].Tests != 2 || s.Suites[0].Failures != 1 || s.Suites[0].Errors != 0 {
		t.Fatalf("suites %+v", s.Suites)
	}
	for _, c := range s.Suites[0].Cases {
		var types []string
		for _, f := range c.Failures {
			types = append(types, f.Type)
		}
		want := ""
		if strings.HasSuffix(c.Name, "/cors/no-vary.json") {
			want = cachemodel.RuleCacheServedWrongOrigin // the only high one
		}
		if strings.Join(types, " ") != want {
			t.Errorf("%s: failures %v, want %q", c.Name, types, want)
		}
	}
}
