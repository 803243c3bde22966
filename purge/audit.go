package purge

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// AuditEntry is one line of the audit log: one provider batch of one
// purge. It holds no credential, and server text in it has every secret
// removed.
type AuditEntry struct {
	Time     time.Time `json:"time"`
	Provider string    `json:"provider"`
	Account  string    `json:"account,omitempty"` // zone or service ID
	Scope    string    `json:"scope"`
	Soft     bool      `json:"soft,omitempty"`
	URLs     []string  `json:"urls,omitempty"`
	Values   []string  `json:"values,omitempty"` // hosts, prefixes or tags
	Copies   int       `json:"copies"`           // URL × Origin variants the requests covered
	Requests int       `json:"requests"`         // requests sent
	Attempts int       `json:"attempts"`         // sends, retries included
	Failed   int       `json:"failed"`
	IDs      []string  `json:"result_ids,omitempty"`
	Outcome  string    `json:"outcome"` // "ok", "partial", "failed", "not-sent"
	Errors   []string  `json:"errors,omitempty"`
}

// auditListCap bounds the URLs and errors kept per line.
const auditListCap = 100

// AuditEntries turns a job and its result into audit lines, one per batch.
func AuditEntries(job *Job, res Result) []AuditEntry {
	var out []AuditEntry
	for bi, b := range job.Batches {
		e := AuditEntry{Time: res.Finished.UTC(), Provider: b.Provider, Account: b.Account, Scope: string(b.Scope), Soft: b.Soft, Values: b.Values}
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		for _, t := range b.Targets {
			if len(e.URLs) < auditListCap {
				e.URLs = append(e.URLs, t.URL)
			}
		}
		for _, q := range res.Requests {
			if q.Batch != bi {
				continue
			}
			e.Requests++
			e.Attempts += q.Attempts
			e.Copies += len(q.Request.Covers)
			e.IDs = append(e.IDs, q.IDs...)
			if !q.OK {
				e.Failed++
				if len(e.Errors) < auditListCap {
					e.Errors = append(e.Errors, q.Message)
				}
			}
		}
		switch {
		case e.Requests == 0:
			e.Outcome = "not-sent"
		case e.Failed == 0 && e.Requests == len(b.Requests):
			e.Outcome = "ok"
		case e.Failed == e.Requests:
			e.Outcome = "failed"
		default:
			e.Outcome = "partial"
		}
		out = append(out, e)
	}
	return out
}

// AuditPath is the audit log's location: $XDG_STATE_HOME/corscope/purge.log,
// else ~/.local/state/corscope/purge.log. getenv is os.Getenv in
// production.
func AuditPath(getenv func(string) string) (string, error) {
	if xdg := getenv("XDG_STATE_HOME"); xdg != "" && filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "corscope", "purge.log"), nil
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".local", "state", "corscope", "purge.log"), nil
	}
	return "", errors.New("no audit log location: neither $XDG_STATE_HOME nor $HOME is set")
}

// AppendAudit appends entries as JSON lines, creating the directory (0700)
// and the file (0600) as needed. Each line is written with one call on an
// O_APPEND file, so concurrent corscope runs do not interleave lines.
func AppendAudit(path string, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	var werr error
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			werr = err
			break
		}
		if _, err := f.Write(append(line, '\n')); err != nil {
			werr = err
			break
		}
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("audit log %s: %w", path, werr)
	}
	return nil
}
