// Package browser runs real headless browsers (Debian's chromium and
// firefox-esr) against loopback servers: for the differential suite
// (internal/browsertest) that checks cachemodel's CORS verdicts against what
// browsers actually do, and for check --confirm-in (internal/browserconfirm).
//
// A browser is started in its own process group with a throwaway profile
// and the flags that keep it off the network (no background networking,
// component updates, telemetry or captive-portal probes). Stop kills the
// whole group, removes the profile, and reports any process of the browser
// still alive, so a test can assert that nothing was left running.
package browser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Kind names a browser family.
type Kind string

// Browsers the suite knows how to drive.
const (
	Chromium Kind = "chromium"
	Firefox  Kind = "firefox"
)

// Binaries lists the executable names tried for each browser, in order.
var Binaries = map[Kind][]string{
	Chromium: {"chromium", "chromium-browser", "/usr/bin/chromium"},
	Firefox:  {"firefox-esr", "firefox", "/usr/bin/firefox-esr"},
}

// ErrNotInstalled is returned by Find when no binary of the browser exists.
var ErrNotInstalled = errors.New("not installed")

// Find returns the path of the browser's binary.
func Find(k Kind) (string, error) {
	for _, b := range Binaries[k] {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w (tried %s)", k, ErrNotInstalled, strings.Join(Binaries[k], ", "))
}

var versionRE = regexp.MustCompile(`\b(\d+)\.(\d+)(?:\.\d+)*(?:esr)?\b`)

// Version runs the binary with --version and returns the version string
// ("156.0.8078.129", "153.8.0esr") and its major number.
func Version(ctx context.Context, bin string) (full string, major int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		return "", 0, fmt.Errorf("%s --version: %w", bin, err)
	}
	m := versionRE.FindStringSubmatch(out.String())
	if m == nil {
		return "", 0, fmt.Errorf("%s --version: no version in %q", bin, strings.TrimSpace(out.String()))
	}
	major, _ = strconv.Atoi(m[1])
	return m[0], major, nil
}

// Browser is one running headless browser.
type Browser struct {
	Kind    Kind
	Profile string // throwaway profile directory, removed by Stop

	cmd    *exec.Cmd
	exited chan struct{}
	out    *syncBuffer
	once   sync.Once
	left   []int
}

// chromiumFlags keep Chromium headless and quiet on a machine without a
// network: without the background-networking flags it keeps trying to reach
// Google services.
func chromiumFlags(profile string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--no-default-browser-check",
		"--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-default-apps", "--disable-extensions",
		"--disable-domain-reliability", "--disable-client-side-phishing-detection",
		"--metrics-recording-only", "--password-store=basic", "--use-mock-keychain",
		"--disable-dev-shm-usage", "--mute-audio",
		"--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + profile,
	}
}

// firefoxPrefs is the throwaway profile's user.js: no telemetry, updates,
// captive-portal or connectivity probes, remote settings, safe browsing,
// DNS over HTTPS or first-run pages.
const firefoxPrefs = `user_pref("app.normandy.enabled", false);
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.update.enabled", false);
user_pref("app.update.checkInstallTime", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.discovery.enabled", false);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.ping-centre.telemetry", false);
user_pref("browser.region.network.url", "");
user_pref("browser.region.update.enabled", false);
user_pref("browser.safebrowsing.blockedURIs.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.provider.google4.updateURL", "");
user_pref("browser.safebrowsing.provider.mozilla.updateURL", "");
user_pref("browser.search.update", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("browser.tabs.warnOnClose", false);
user_pref("browser.topsites.contile.enabled", false);
user_pref("captivedetect.canonicalURL", "");
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.policy.firstRunURL", "");
user_pref("dom.security.https_only_mode", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.blocklist.enabled", false);
user_pref("media.gmp-manager.updateEnabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("network.predictor.enabled", false);
user_pref("network.prefetch-next", false);
user_pref("network.proxy.type", 0);
user_pref("network.trr.mode", 5);
user_pref("services.settings.server", "http://127.0.0.1:9/");
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.server", "");
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.archive.enabled", false);
user_pref("toolkit.startup.max_resumed_crashes", -1);
user_pref("browser.sessionstore.resume_from_crash", false);
user_pref("devtools.console.stdout.content", true);
`

// Start launches the browser headless on url with a fresh profile in a new
// directory under dir ("" for the system's temporary directory; keep it
// short: Chromium's singleton socket path inside it must fit a Unix socket
// address). The caller must call Stop.
func Start(k Kind, bin, dir, url string) (*Browser, error) {
	return StartWith(k, bin, dir, url, Options{})
}

// Options adjust a browser for one run.
type Options struct {
	// ChromiumArgs are extra command-line switches for Chromium
	// ("--enable-features=...").
	ChromiumArgs []string
	// FirefoxPrefs are extra user.js lines for Firefox
	// (`user_pref("name", value);`).
	FirefoxPrefs []string
	// ProfileFiles are written into the fresh profile before the browser
	// starts, by name relative to the profile ("cert_override.txt").
	ProfileFiles map[string][]byte
}

// StartWith is Start with options.
func StartWith(k Kind, bin, dir, url string, o Options) (*Browser, error) {
	profile, err := os.MkdirTemp(dir, "corscope-"+string(k)+"-")
	if err != nil {
		return nil, err
	}
	for name, data := range o.ProfileFiles {
		if !filepath.IsLocal(name) {
			os.RemoveAll(profile)
			return nil, fmt.Errorf("profile file %q: not a local name", name)
		}
		if err := os.WriteFile(filepath.Join(profile, name), data, 0o600); err != nil {
			os.RemoveAll(profile)
			return nil, err
		}
	}
	var cmd *exec.Cmd
	switch k {
	case Chromium:
		args := append(chromiumFlags(profile), o.ChromiumArgs...)
		cmd = exec.Command(bin, append(args, url)...)
	case Firefox:
		prefs := firefoxPrefs + strings.Join(o.FirefoxPrefs, "\n") + "\n"
		if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs), 0o600); err != nil {
			os.RemoveAll(profile)
			return nil, err
		}
		cmd = exec.Command(bin, "--headless", "--profile", profile, "--no-remote", "--new-instance", url)
	default:
		os.RemoveAll(profile)
		return nil, fmt.Errorf("unknown browser %q", k)
	}
	// HOME and TMPDIR inside the profile: Chromium's singleton socket and
	// both browsers' caches and temporary files go where Stop removes them.
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "MOZ_CRASHREPORTER_DISABLE=1", "HOME="+profile, "TMPDIR="+profile)
	b := &Browser{Kind: k, Profile: profile, cmd: cmd, exited: make(chan struct{}), out: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = b.out, b.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Wait returns even if a process Stop could not kill still holds the
	// output pipes; Stop then reports it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(b.exited) }()
	return b, nil
}

// Exited is closed when the browser's main process has exited.
func (b *Browser) Exited() <-chan struct{} { return b.exited }

// Log is what the browser wrote to stdout and stderr so far.
func (b *Browser) Log() string { return b.out.String() }

// Stop kills the browser's process group and every process descended from
// it, waits for them, and removes the profile. It returns an error naming
// any process that is still alive afterwards; calling it again returns the
// same result.
func (b *Browser) Stop() error {
	var err error
	b.once.Do(func() {
		pgid := b.cmd.Process.Pid
		// Children that moved to another process group are found by
		// ancestry before the group is killed (killing reparents them).
		procs := descendants(pgid)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		for _, p := range procs {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("%s: main process %d did not exit after SIGKILL", b.Kind, pgid)
		}
		deadline := time.Now().Add(5 * time.Second)
		var alive []int
		for {
			alive = alive[:0]
			for _, p := range append(procs, groupMembers(pgid)...) {
				if p.alive() {
					alive = append(alive, p.pid)
				}
			}
			if len(alive) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.left = alive
		if len(alive) > 0 && err == nil {
			err = fmt.Errorf("%s: processes still running after kill: %v", b.Kind, alive)
		}
		if rmErr := os.RemoveAll(b.Profile); rmErr != nil && err == nil {
			err = fmt.Errorf("%s: remove profile: %w", b.Kind, rmErr)
		}
	})
	if err == nil && len(b.left) > 0 {
		err = fmt.Errorf("%s: processes still running after kill: %v", b.Kind, b.left)
	}
	return err
}

// proc is a process seen in /proc: its pid and start time, so a recycled
// pid is not mistaken for the same process.
type proc struct {
	pid   int
	start string
}

func (p proc) alive() bool {
	st, ok := readStat(p.pid)
	return ok && st.start == p.start && st.state != "Z" && st.state != "X"
}

type stat struct {
	ppid, pgid int
	state      string
	start      string
}

// readStat parses /proc/<pid>/stat (the command name may contain spaces
// and parentheses, so fields are counted from the last ')').
func readStat(pid int) (stat, bool) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, false
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return stat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgid, _ := strconv.Atoi(f[2])
	return stat{ppid: ppid, pgid: pgid, state: f[0], start: f[19]}, true
}

func allProcs() map[int]stat {
	out := map[int]stat{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			out[pid] = st
		}
	}
	return out
}

// descendants lists root and every process below it.
func descendants(root int) []proc {
	all := allProcs()
	children := map[int][]int{}
	for pid, st := range all {
		children[st.ppid] = append(children[st.ppid], pid)
	}
	var out []proc
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if st, ok := all[pid]; ok {
			out = append(out, proc{pid, st.start})
		}
		queue = append(queue, children[pid]...)
	}
	return out
}

// groupMembers lists the processes in process group pgid.
func groupMembers(pgid int) []proc {
	var out []proc
	for pid, st := range allProcs() {
		if st.pgid == pgid {
			out = append(out, proc{pid, st.start})
		}
	}
	return out
}

// Running lists the live processes whose command line mentions profile: a
// check, independent of Stop, that no browser was left behind.
func Running(profile string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.Contains(cl, []byte(profile)) {
			continue
		}
		if st, ok := readStat(pid); ok && st.state != "Z" && st.state != "X" {
			out = append(out, pid)
		}
	}
	return out
}

// PID is the browser's main process id (also its process group id).
func (b *Browser) PID() int { return b.cmd.Process.Pid }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4<<20 { // keep memory bounded if a browser floods its log
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
