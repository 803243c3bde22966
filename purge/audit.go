package purge

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The audit log holds JSON lines of four events: "sending" just before a
// purge request goes out, "result" when its outcome is known (or
// "outcome unknown" when the run was interrupted with it in flight), and
// "batch", a summary per provider batch when the purge ends. A purge
// killed half-way thus leaves a "sending" line for every request the API
// may have received. Lines of one run share a run id.
const (
	EventSending = "sending"
	EventResult  = "result"
	EventBatch   = "batch"
	// EventWaited ends the wait for a CloudFront invalidation: outcome
	// "completed", or "pending" with the reason.
	EventWaited = "waited"
)

// OutcomeUnknown is the outcome of a request interrupted while in flight
// or between retries: the API may or may not have acted on it.
const OutcomeUnknown = "outcome unknown"

// AuditEntry is a "batch" line of the audit log: one provider batch of one
// purge. It holds no credential, and server text in it has every secret
// removed.
type AuditEntry struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"` // EventBatch
	Run      string    `json:"run,omitempty"`
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
	Outcome  string    `json:"outcome"` // "ok", "partial", "failed", "not-sent", "interrupted"
	Errors   []string  `json:"errors,omitempty"`
}

// AuditRequest is a "sending" or "result" line: one request of a purge.
type AuditRequest struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"` // EventSending or EventResult
	Run      string    `json:"run"`
	Provider string    `json:"provider"`
	Account  string    `json:"account,omitempty"`
	Scope    string    `json:"scope"`
	Soft     bool      `json:"soft,omitempty"`
	Request  int       `json:"request"` // 1-based, in job order
	Of       int       `json:"of"`      // requests in the job
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	Copies   []string  `json:"copies,omitempty"` // "URL [Origin variant]" this request purges
	Values   []string  `json:"values,omitempty"` // hosts, prefixes or tags
	// Result lines only.
	Outcome  string   `json:"outcome,omitempty"` // "ok", "not-cached", "failed" or OutcomeUnknown
	Status   int      `json:"status,omitempty"`
	Attempts int      `json:"attempts,omitempty"`
	IDs      []string `json:"result_ids,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

// AuditLog is an open audit log. Every line is written with one call on
// an O_APPEND file and synced to disk before the call returns, so a line
// written before a request went out survives a kill. Safe for concurrent
// use. A failed write is kept (Err) and later lines are still tried: the
// log never stops a purge.
type AuditLog struct {
	path string
	run  string
	mu   sync.Mutex
	f    *os.File
	err  error
}

// OpenAudit opens (creating the directory 0700 and the file 0600 as
// needed) the audit log at path for one purge run.
func OpenAudit(path string) (*AuditLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	return &AuditLog{path: path, run: hex.EncodeToString(id[:]), f: f}, nil
}

// Path is where the log is.
func (l *AuditLog) Path() string { return l.path }

// Err is the first write failure, nil when every line was written.
func (l *AuditLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the file; it returns the first failure of the log's life.
func (l *AuditLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		if err := l.f.Close(); l.err == nil && err != nil {
			l.err = fmt.Errorf("audit log %s: %w", l.path, err)
		}
		l.f = nil
	}
	return l.err
}

func (l *AuditLog) write(v any) {
	line, err := json.Marshal(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil && l.f == nil {
		err = os.ErrClosed
	}
	if err == nil {
		_, err = l.f.Write(append(line, '\n'))
	}
	if err == nil {
		err = l.f.Sync()
	}
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("audit log %s: %w", l.path, err)
	}
}

// Append writes the batch summaries of a finished purge.
func (l *AuditLog) Append(entries []AuditEntry) error {
	for _, e := range entries {
		e.Run = l.run
		l.write(e)
	}
	return l.Err()
}

// requestLine describes request r (the n-th of total) of batch b.
func (l *AuditLog) requestLine(event string, b *Batch, r *Request, n, total int) AuditRequest {
	a := AuditRequest{Time: time.Now().UTC(), Event: event, Run: l.run, Provider: b.Provider, Account: b.Account,
		Scope: string(b.Scope), Soft: b.Soft, Request: n, Of: total, Method: r.Method, URL: auditURL(r.URL), Values: r.Values}
	for _, c := range r.Covers {
		if len(a.Copies) < auditListCap {
			a.Copies = append(a.Copies, c.URL+" ["+c.Variant.Label()+"]")
		}
	}
	return a
}

// sending records that request r is about to go out.
func (l *AuditLog) sending(b *Batch, r *Request, n, total int) {
	if l != nil {
		l.write(l.requestLine(EventSending, b, r, n, total))
	}
}

// result records request r's outcome.
func (l *AuditLog) result(b *Batch, rr RequestResult, n, total int) {
	if l == nil {
		return
	}
	a := l.requestLine(EventResult, b, rr.Request, n, total)
	a.Status, a.Attempts, a.IDs = rr.Status, rr.Attempts, rr.IDs
	switch {
	case rr.Interrupted:
		a.Outcome = OutcomeUnknown
	case !rr.OK:
		a.Outcome = "failed"
	case rr.NotCached:
		a.Outcome = "not-cached"
	default:
		a.Outcome = "ok"
	}
	a.Reason = rr.Message
	l.write(a)
}

// waited records the end of the wait for an invalidation.
func (l *AuditLog) waited(b *Batch, inv Invalidation) {
	if l == nil {
		return
	}
	a := AuditRequest{Time: time.Now().UTC(), Event: EventWaited, Run: l.run, Provider: b.Provider, Account: b.Account,
		Scope: string(b.Scope), IDs: []string{inv.ID}, Attempts: inv.Polls, Outcome: "completed"}
	if !inv.Complete {
		a.Outcome = "pending"
		if inv.Err != nil {
			a.Reason = inv.Err.Error()
		}
	}
	l.write(a)
}

// auditURL is a request URL with any userinfo password masked.
func auditURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	return u.String()
}

// auditListCap bounds the URLs and errors kept per line.
const auditListCap = 100

// AuditEntries turns a job and its result into audit lines, one per batch.
func AuditEntries(job *Job, res Result) []AuditEntry {
	var out []AuditEntry
	for bi, b := range job.Batches {
		e := AuditEntry{Time: res.Finished.UTC(), Event: EventBatch, Provider: b.Provider, Account: b.Account, Scope: string(b.Scope), Soft: b.Soft, Values: b.Values}
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		interrupted := false
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
			if q.Interrupted {
				interrupted = true
			}
			if !q.OK {
				e.Failed++
				if len(e.Errors) < auditListCap {
					e.Errors = append(e.Errors, q.Message)
				}
			}
		}
		switch {
		case interrupted:
			e.Outcome = "interrupted"
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
		if err := f.Sync(); err != nil {
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
