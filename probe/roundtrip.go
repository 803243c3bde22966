package probe

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/corscope/corscope/cachemodel"
)

// maxInterim bounds the 1xx responses accepted before the final one.
const maxInterim = 16

// roundTrip sends r on a kept-alive connection when one is idle, or on a new
// one. A reused connection that turns out to be dead before any response
// byte arrived (the server timed it out) is retried once on a fresh
// connection, like browsers do; a fresh connection is never retried.
func (w *worker) roundTrip(ctx context.Context, deadline time.Time, r *request) (*cachemodel.Response, cachemodel.Timing, *cachemodel.ProbeError) {
	e := w.e
	key := r.poolKey()
	pc := e.pool.get(key)
	var t cachemodel.Timing
	for attempt := 0; ; attempt++ {
		reused := pc != nil
		t.Connect, t.TTFB = 0, 0
		if !reused {
			began := time.Now()
			var (
				ph  phase
				err error
			)
			pc, ph, err = e.dial(ctx, deadline, r)
			if err != nil {
				return nil, t, classify(ctx, ph, e.cfg.Timeout, err)
			}
			t.Connect = time.Since(began)
		}
		res, ttfb, ph, err := w.exchange(ctx, deadline, pc, key, r)
		t.TTFB = ttfb
		if err == nil {
			return res, t, nil
		}
		stale := reused && attempt == 0 && (ph == phaseSend || ph == phaseAwaitHeaders) &&
			idempotent(r.method) && ctx.Err() == nil && !isTimeout(err)
		if !stale {
			return nil, t, classify(ctx, ph, e.cfg.Timeout, err)
		}
		pc = nil
	}
}

// exchange writes one request on pc and reads the response headers and at
// most BodyLimit body bytes. pc goes back to the pool only if the response
// was read completely and the server keeps the connection open; otherwise
// it is closed, which is also how an oversized body is cut short.
//
// While the exchange runs, cancelling the worker's run closes pc (see
// worker.hold); a worker with no run relies on the deadline alone.
func (w *worker) exchange(ctx context.Context, deadline time.Time, pc *pconn, key poolKey, r *request) (
	res *cachemodel.Response, ttfb time.Duration, ph phase, err error,
) {
	e := w.e
	reusable := false
	held := w.hold(pc)
	defer func() {
		if w.unhold(pc) && reusable {
			e.pool.put(key, pc)
		} else {
			pc.close()
		}
	}()
	if !held {
		return nil, 0, phaseSend, context.Canceled
	}

	if err := pc.conn.SetDeadline(deadline); err != nil {
		return nil, 0, phaseSend, err
	}
	sent := time.Now()
	if _, err := pc.conn.Write(r.wire); err != nil {
		return nil, 0, phaseSend, err
	}

	hr := &w.hr
	hr.reset(pc.conn, e.cfg.MaxHeaderBytes)
	hr.budget, hr.ctx, hr.deadline = e.headers, ctx, deadline
	defer hr.release()
	fr := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(fr)
	fr.Header.DisableNormalizing()
	fr.StreamBody = true

	var head parsedHead
	for interim := 0; ; interim++ {
		block, ph, err := hr.peekBlock()
		if !hr.firstByte.IsZero() {
			ttfb = hr.firstByte.Sub(sent)
		}
		if err != nil {
			return nil, ttfb, ph, err
		}
		// Copy the lines out first: fasthttp rewrites folded lines in place.
		if head, err = hr.scan.head(block); err != nil {
			return nil, ttfb, phaseReadHeaders, err
		}
		if hr.scan.framed(block, head) {
			// The usual response: its framing is known from the one
			// pass over the block; fasthttp only reads the body.
			fr.Header.SetStatusCode(head.status)
			fr.Header.SetContentLength(hr.scan.contentLength)
			if _, err := hr.br.Discard(len(block)); err != nil {
				return nil, ttfb, phaseReadHeaders, err
			}
			break
		}
		before := hr.br.Buffered()
		if err := fr.Header.Read(hr.br); err != nil {
			if isTimeout(err) || ctx.Err() != nil {
				return nil, ttfb, phaseReadHeaders, err
			}
			return nil, ttfb, phaseReadHeaders, protoErr("malformed response headers: %s", safeText(innermost(err)))
		}
		if before-hr.br.Buffered() != len(block) {
			return nil, ttfb, phaseReadHeaders, protoErr("ambiguous end of the response header block")
		}
		if head.status >= 200 || head.status == fasthttp.StatusSwitchingProtocols {
			break
		}
		if interim == maxInterim {
			return nil, ttfb, phaseReadHeaders, protoErr("more than %d informational (1xx) responses", maxInterim)
		}
	}

	res = &cachemodel.Response{
		Status:     head.status,
		Proto:      head.proto,
		Headers:    head.headers,
		RemoteAddr: pc.remote,
	}
	complete := true
	if hasBody(r.method, head.status) {
		// StreamBody makes ReadBody only set up the stream; the body is
		// pulled below, never buffered whole.
		if err := fr.ReadBody(hr.br, 0); err != nil {
			res.BodyTruncated = true
			res.BodyErr = classify(ctx, phaseReadBody, e.cfg.Timeout, err)
			return res, ttfb, phaseReadHeaders, nil
		}
		sum := w.bodyHash()
		n, done, err := readBody(fr.BodyStream(), sum, e.cfg.BodyLimit)
		_ = fr.CloseBodyStream()
		hex.Encode(w.hexSum[:], sum.Sum(w.digest[:0]))
		res.BodyHash = string(w.hexSum[:])
		// A body that stopped early (limit, timeout, cancel, broken framing)
		// keeps the response: its headers are what corscope is about. Only
		// a failure is recorded; the limit is the plan.
		res.BodyBytes, res.BodyTruncated = n, !done
		if err != nil {
			res.BodyErr = classify(ctx, phaseReadBody, e.cfg.Timeout, err)
		}
		complete = done
	}
	reusable = complete && head.status != fasthttp.StatusSwitchingProtocols &&
		!fr.Header.ConnectionClose() && hr.drained() && !doubtfulFraming(head)
	return res, ttfb, phaseReadHeaders, nil
}

// idempotent methods may be resent when a kept-alive connection died under
// them (RFC 9110 §9.2.2).
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

func hasBody(method string, status int) bool {
	return method != "HEAD" && status >= 200 && status != 204 && status != 304
}

// doubtfulFraming reports a response without a body that announces one: a
// 204 with a non-zero Content-Length, or a 204 or 304 with
// Transfer-Encoding. Where its announced body ends is anyone's guess (a
// server that sends it anyway leaves bytes that would become the start of
// the next answer on this connection), so the connection is not reused.
// HEAD answers and 304s may carry the Content-Length of the body they do
// not send; bytes that still follow them are caught when the connection is
// next taken from the pool.
func doubtfulFraming(h parsedHead) bool {
	if h.status != 204 && h.status != 304 {
		return false
	}
	if _, ok := h.headers.Get("Transfer-Encoding"); ok {
		return true
	}
	if h.status == 204 {
		if cl, ok := h.headers.Get("Content-Length"); ok && strings.TrimSpace(cl) != "0" {
			return true
		}
	}
	return false
}

var bodyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readBody reads up to limit bytes, trying for one more to learn whether the
// body goes on, and writes every byte read to sum. done is true when the
// body ended within the limit.
func readBody(r io.Reader, sum io.Writer, limit int64) (n int64, done bool, err error) {
	bp := bodyBufPool.Get().(*[]byte)
	defer bodyBufPool.Put(bp)
	buf := *bp
	idle := 0
	for {
		want := limit + 1 - n
		if want <= 0 {
			return limit, false, nil
		}
		m, err := r.Read(buf[:min(int64(len(buf)), want)])
		_, _ = sum.Write(buf[:m])
		n += int64(m)
		switch {
		case errors.Is(err, io.EOF):
			if n > limit {
				return limit, false, nil
			}
			return n, true, nil
		case err != nil:
			return min(n, limit), false, err
		case m == 0:
			if idle++; idle > 100 {
				return min(n, limit), false, io.ErrNoProgress
			}
		default:
			idle = 0
		}
	}
}

// innermost unwraps to the parser's own complaint, dropping fasthttp's dump
// of the buffer.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
