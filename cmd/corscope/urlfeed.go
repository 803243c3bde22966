package main

import (
	"context"
	"io"
	"sync"

	"github.com/corscope/corscope/cachemodel"
	"github.com/corscope/corscope/internal/runner"
)

// urlFeed gives check's runner the targets of a command line with "-" as
// they arrive: its own goroutine reads stdin line by line and validates
// each URL at once, and the runner's source takes each new target as soon
// as it is there, so the first request goes out as soon as the first URL
// line is read, not when stdin ends. The report is held meanwhile (see
// heldWriter), so bad input keeps its contract: the line's one-line error,
// exit 2 and nothing of the report written. A bad line cancels the run at
// once (cancel), in-flight requests included. Reading runs ahead of
// probing, so stdin's end (and the report's release) is noticed when it
// comes, not when probing reaches it.
type urlFeed struct {
	ctx    context.Context
	cancel context.CancelFunc
	build  func(i int) cachemodel.TargetPlan
	atEnd  func(targets []targetSpec, dupNote string) // called once when every line is read and valid
	ready  chan struct{}                              // a target was added, or the input ended

	mu       sync.Mutex
	targets  []targetSpec
	taken    int   // targets given to the runner
	err      error // the bad input that stopped the run
	done     bool  // every line read and valid (atEnd has run)
	finished bool  // the run is over: atEnd is not called any more
}

// newURLFeed is a feed for the run with context ctx, which cancel cancels.
func newURLFeed(ctx context.Context, cancel context.CancelFunc) *urlFeed {
	return &urlFeed{ctx: ctx, cancel: cancel, ready: make(chan struct{}, 1)}
}

// start reads args in order ("-": stdin's lines; blank lines and #
// comments skipped) on its own goroutine. build and atEnd must be set.
func (fd *urlFeed) start(args []string, stdin io.Reader) {
	go fd.read(args, stdin)
}

// read validates every URL of args in order, reading "-" from stdin line
// by line, and stops at the first bad one or when the run is over.
func (fd *urlFeed) read(args []string, stdin io.Reader) {
	var set urlSet
	add := func(raw string) bool {
		if fd.ctx.Err() != nil {
			return false
		}
		u, isNew, err := set.add(raw)
		if err != nil {
			fd.fail(err)
			return false
		}
		if !isNew {
			return true
		}
		fd.mu.Lock()
		fd.targets = append(fd.targets, targetSpec{raw: raw, url: u})
		fd.mu.Unlock()
		fd.notify()
		return true
	}
	for _, arg := range args {
		if arg != "-" {
			if !add(arg) {
				return
			}
			continue
		}
		stopped := false
		err := scanURLLines(stdin, func(line string) bool {
			stopped = !add(line)
			return !stopped
		})
		if stopped {
			return
		}
		if err != nil {
			fd.fail(usageErr("reading URLs from stdin: %v", err))
			return
		}
	}
	fd.mu.Lock()
	n := len(fd.targets)
	fd.mu.Unlock()
	if n == 0 {
		fd.fail(errNoURLs())
		return
	}
	note := set.note()
	// Under the lock: the source ends only after the notes and the
	// release, and a run already over (finish) releases nothing.
	fd.mu.Lock()
	if !fd.finished {
		fd.atEnd(fd.targets[:n:n], note)
		fd.done = true
	}
	fd.mu.Unlock()
	fd.notify()
}

func (fd *urlFeed) notify() {
	select {
	case fd.ready <- struct{}{}:
	default:
	}
}

func (fd *urlFeed) fail(err error) {
	fd.mu.Lock()
	fd.err = err
	fd.mu.Unlock()
	fd.cancel()
	fd.notify()
}

// source is the runner.Source: the next target's plan, as soon as it has
// been read.
func (fd *urlFeed) source() runner.Source {
	return func() (cachemodel.TargetPlan, bool) {
		for {
			fd.mu.Lock()
			i, have, over := fd.taken, fd.taken < len(fd.targets), fd.done || fd.err != nil
			if have {
				fd.taken++
			}
			fd.mu.Unlock()
			switch {
			case have:
				return fd.build(i), true
			case over:
				return cachemodel.TargetPlan{}, false
			}
			select {
			case <-fd.ready:
			case <-fd.ctx.Done():
				return cachemodel.TargetPlan{}, false
			}
		}
	}
}

// target is the i-th valid target.
func (fd *urlFeed) target(i int) targetSpec {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	return fd.targets[i]
}

// finish ends the feed once the run is over and returns whether the input
// was read to its end, how many targets it had and the bad input.
func (fd *urlFeed) finish() (done bool, n int, err error) {
	fd.mu.Lock()
	defer fd.mu.Unlock()
	fd.finished = true
	return fd.done, len(fd.targets), fd.err
}

// heldWriter holds what the report writes until release, then writes it
// and passes everything after straight through. A failed write is kept:
// every later write returns it, so the report stops as on any failed
// write.
type heldWriter struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	held bool
	err  error
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.err != nil:
		return 0, h.err
	case h.held:
		h.buf = append(h.buf, p...)
		return len(p), nil
	}
	return h.w.Write(p)
}

// release writes what was held and stops holding.
func (h *heldWriter) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.held {
		return
	}
	h.held = false
	if len(h.buf) > 0 {
		_, h.err = h.w.Write(h.buf)
	}
	h.buf = nil
}
