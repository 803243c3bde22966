package browsertest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corscope/corscope/cachemodel"
)

// A role is one origin of the test: the two pages and the two servers the
// cases live on. Each is a different 127.0.0.1 port, so a different origin
// but the same site (the browsers' HTTP caches are partitioned by site, and
// the cache cases need pages A and B to share a partition).
type role string

const (
	rolePageA role = "pageA"
	rolePageB role = "pageB"
	roleAPI   role = "api"
	roleAPI2  role = "api2"
)

var roles = []role{rolePageA, rolePageB, roleAPI, roleAPI2}

// logEntry is one request the browser made and the exact response it got.
type logEntry struct {
	Role    role
	Method  string
	Path    string
	Origin  string
	HasOrig bool
	ACRM    string
	ACRH    string
	HasACRH bool
	Auth    string
	Status  int
	Sent    cachemodel.Headers // every header line written, as written
}

// rawServer answers HTTP/1.1 on several loopback ports and writes every
// response byte by byte, so header lines reach the browser exactly as a case
// spells them (Go's net/http would trim whitespace and could not send an
// empty or duplicated ACAO the way a broken server does).
type rawServer struct {
	ports  map[role]int
	lns    []net.Listener
	handle func(r role, req *http.Request, body []byte) (status int, h cachemodel.Headers, respBody []byte)

	mu    sync.Mutex
	log   []logEntry
	conns map[net.Conn]bool
}

func newRawServer() (*rawServer, error) {
	s := &rawServer{ports: map[role]int{}}
	for _, r := range roles {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Close()
			return nil, err
		}
		s.lns = append(s.lns, ln)
		s.ports[r] = ln.Addr().(*net.TCPAddr).Port
	}
	return s, nil
}

func (s *rawServer) origin(r role) string {
	return "http://127.0.0.1:" + strconv.Itoa(s.ports[r])
}

func (s *rawServer) serve() {
	for i, ln := range s.lns {
		r := roles[i]
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				s.mu.Lock()
				if s.conns == nil {
					s.conns = map[net.Conn]bool{}
				}
				s.conns[c] = true
				s.mu.Unlock()
				go s.conn(r, c)
			}
		}()
	}
}

func (s *rawServer) conn(r role, c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	br := bufio.NewReader(c)
	for {
		_ = c.SetDeadline(time.Now().Add(90 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			return
		}
		status, h, respBody := s.handle(r, req, body)
		e := logEntry{Role: r, Method: req.Method, Path: req.URL.Path, Status: status, Sent: h,
			ACRM: req.Header.Get("Access-Control-Request-Method"), Auth: req.Header.Get("Authorization")}
		e.Origin = req.Header.Get("Origin")
		_, e.HasOrig = req.Header["Origin"]
		e.ACRH = req.Header.Get("Access-Control-Request-Headers")
		_, e.HasACRH = req.Header["Access-Control-Request-Headers"]
		s.mu.Lock()
		s.log = append(s.log, e)
		s.mu.Unlock()

		var b strings.Builder
		fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
		for _, f := range h {
			b.WriteString(f.Name + ": " + f.Value + "\r\n")
		}
		b.WriteString("\r\n")
		if req.Method != http.MethodHead && status != 204 && status != 304 {
			b.Write(respBody)
		}
		if _, err := io.WriteString(c, b.String()); err != nil {
			return
		}
	}
}

func (s *rawServer) entries() []logEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]logEntry(nil), s.log...)
}

// Close stops the listeners and drops every open connection.
func (s *rawServer) Close() {
	for _, ln := range s.lns {
		ln.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}
