package probe

import (
	"crypto/sha256"
	"hash"
	"sync"
	"sync/atomic"
)

// runState is one Run's cancel hook: a single context.AfterFunc per run
// closes the connection each of its workers has a request on, instead of
// one hook registered and unregistered per request.
type runState struct {
	canceled atomic.Bool
	mu       sync.Mutex
	workers  map[*worker]struct{}
}

// abort closes every connection a request of the run is on; requests that
// take a connection afterwards close it themselves (see worker.hold).
func (rs *runState) abort() {
	rs.canceled.Store(true)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for w := range rs.workers {
		if pc := w.inUse.Swap(nil); pc != nil {
			pc.close()
		}
	}
}

// newWorker returns a worker registered with the run (nil rs: one with no
// run, whose requests nothing aborts but their context and deadline).
func newWorker(e *Engine, rs *runState) *worker {
	w := &worker{e: e, run: rs}
	if rs != nil {
		rs.mu.Lock()
		if rs.workers == nil {
			rs.workers = make(map[*worker]struct{})
		}
		rs.workers[w] = struct{}{}
		rs.mu.Unlock()
	}
	return w
}

// done unregisters the worker from its run.
func (w *worker) done() {
	if w.run != nil {
		w.run.mu.Lock()
		delete(w.run.workers, w)
		w.run.mu.Unlock()
	}
}

// worker probes steps one after another and keeps what a request needs
// between requests (the parsed URL, the request bytes, the header reader,
// the body hash), so a request allocates little beyond its report.
type worker struct {
	e     *Engine
	run   *runState
	inUse atomic.Pointer[pconn] // the connection a request is on, for the run's cancel hook

	sink     sink          // the target being run
	slotWait chan struct{} // woken when a host slot is handed over
	parts    urlParts      // the URL parsed last; steps of a target share it
	partsOK  bool
	req      request
	hr       headReader
	sum      hash.Hash
	digest   [sha256.Size]byte
	hexSum   [2 * sha256.Size]byte
}

// hold marks pc as the connection this worker's request is on, so that
// cancelling the run closes it. It reports false (and closes pc) when the
// run was cancelled already.
func (w *worker) hold(pc *pconn) bool {
	w.inUse.Store(pc)
	if w.run != nil && w.run.canceled.Load() {
		if w.inUse.Swap(nil) != nil {
			pc.close()
		}
		return false
	}
	return true
}

// unhold ends the request on pc. It reports whether pc is still open as
// far as the cancel hook is concerned: false when the hook closed it.
func (w *worker) unhold(pc *pconn) bool {
	return w.inUse.CompareAndSwap(pc, nil)
}

// bodyHash returns a hash reset for a new body.
func (w *worker) bodyHash() hash.Hash {
	if w.sum == nil {
		w.sum = sha256.New()
	}
	w.sum.Reset()
	return w.sum
}
