// Command origin is the benchmark suite's local origin server: small CORS
// responses fast enough that the client under test, not the server, is what
// a run measures, and a 1 GiB streamed body for the large-body scenario. It
// listens on 127.0.0.1 only and prints its address as the first line of
// standard output.
//
// Routes:
//
//	/t/...      tiny JSON; reflects any Origin with Vary: Origin, shared-cacheable
//	/slow/...   the same after 50 ms, like an origin 50 ms away (round trips)
//	/big.bin    1 GiB body (Content-Length), generated on the fly, ACAO: *
//	/stats      counters as JSON: requests, big_requests, big_bytes
//
// It is a benchmark fixture, not part of corscope: it lives under bench/ so
// the module's vet and tests still cover it, and it is built by bench/run.sh.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// bigSize is the length of /big.bin.
const bigSize = 1 << 30

type counters struct {
	requests    atomic.Int64
	bigRequests atomic.Int64
	bigBytes    atomic.Int64 // body bytes handed to the server for writing
	// wireBytes sums, over closed connections that carried /big.bin, the
	// bytes the client's kernel acknowledged (TCP_INFO bytes_acked): what
	// actually crossed the wire, without what sat in our own send buffer.
	wireBytes atomic.Int64
}

var (
	tinyBody = []byte(`{"ok":true,"bench":"corscope"}` + "\n")
	// pattern is what /big.bin repeats; any bytes will do.
	pattern = func() []byte {
		b := make([]byte, 32<<10)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		return b
	}()
)

// bigBody produces bigSize bytes and counts every byte the server takes, so
// the count is an upper bound of what was written before the client hung up.
type bigBody struct {
	left int64
	c    *counters
}

func (b *bigBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p, pattern)
	if int64(n) > b.left {
		n = int(b.left)
	}
	b.left -= int64(n)
	b.c.bigBytes.Add(int64(n))
	return n, nil
}

// slowLatency is what every /slow/ answer takes.
const slowLatency = 50 * time.Millisecond

func handler(c *counters) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		c.requests.Add(1)
		path := ctx.Path()
		h := &ctx.Response.Header
		origin := ctx.Request.Header.Peek("Origin")
		switch {
		case string(path) == "/stats":
			ctx.SetContentType("application/json")
			fmt.Fprintf(ctx, `{"requests":%d,"big_requests":%d,"big_bytes":%d,"big_wire_bytes":%d}`+"\n",
				c.requests.Load(), c.bigRequests.Load(), c.bigBytes.Load(), c.wireBytes.Load())
		case string(path) == "/big.bin":
			c.bigRequests.Add(1)
			if tc, ok := ctx.Conn().(*trackedConn); ok {
				tc.big.Store(true)
			}
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Cache-Control", "public, max-age=300")
			h.SetContentType("application/octet-stream")
			if ctx.IsHead() {
				h.SetContentLength(bigSize)
				return
			}
			ctx.SetBodyStream(&bigBody{left: bigSize, c: c}, bigSize)
		case len(path) > 3 && string(path[:3]) == "/t/",
			len(path) > 6 && string(path[:6]) == "/slow/":
			if path[1] == 's' {
				time.Sleep(slowLatency)
			}
			if origin != nil {
				h.SetBytesV("Access-Control-Allow-Origin", origin)
			}
			h.Set("Vary", "Origin")
			h.Set("Cache-Control", "public, max-age=60")
			h.SetContentType("application/json")
			ctx.SetBody(tinyBody)
		default:
			ctx.Error("not found", fasthttp.StatusNotFound)
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "origin: -addr must be a loopback IP:port")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "origin:", err)
		os.Exit(1)
	}
	c := &counters{}
	ln = &trackingListener{Listener: ln, c: c}
	srv := &fasthttp.Server{
		Handler:               handler(c),
		Name:                  "bench-origin",
		NoDefaultServerHeader: true,
		// Concurrency bounds connections; the suite opens at most a few
		// hundred (xargs -P 16 curl opens one per request, briefly).
		Concurrency: 4096,
	}
	fmt.Println(ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		_ = srv.Shutdown()
	}()
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "origin:", err)
		os.Exit(1)
	}
}

// trackingListener wraps accepted connections so that a connection that
// served /big.bin reports its acknowledged byte count when it closes.
type trackingListener struct {
	net.Listener
	c *counters
}

func (l *trackingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &trackedConn{Conn: conn, c: l.c}, nil
}

type trackedConn struct {
	net.Conn
	c    *counters
	big  atomic.Bool
	once sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() {
		if t.big.Load() {
			if n, ok := bytesAcked(t.Conn); ok {
				t.c.wireBytes.Add(n)
			}
		}
	})
	return t.Conn.Close()
}

// bytesAcked reads tcpi_bytes_acked from Linux's struct tcp_info (offset
// 120 since Linux 4.1); the syscall package's TCPInfo predates the field.
func bytesAcked(conn net.Conn) (int64, bool) {
	tcp, ok := conn.(*net.TCPConn)
	if !ok {
		return 0, false
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return 0, false
	}
	var (
		buf  [232]byte
		size = uint32(len(buf))
		got  bool
	)
	_ = raw.Control(func(fd uintptr) {
		_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)), 0)
		got = errno == 0 && size >= 128
	})
	if !got {
		return 0, false
	}
	return int64(binary.NativeEndian.Uint64(buf[120:128])), true
}
