package cachemodel

// HARCapture is what a browser recorded for one target, read from a HAR
// file (check --har): the report shows it beside what corscope sees now.
type HARCapture struct {
	// Observations are the distinct answers the browser got, in the order
	// first seen; identical ones are merged (Count).
	Observations []HARObservation `json:"observations"`
	// Omitted counts distinct observations beyond the ones kept.
	Omitted int `json:"omitted,omitempty"`
}

// HARObservation is one answer the browser recorded. Only these fields
// are kept from the HAR: no cookies, no credentials, no bodies.
type HARObservation struct {
	// Origin the browser sent (null: none).
	Origin *string `json:"origin"`
	Method string  `json:"method"`
	// Status is 0 when the browser got no usable response (a CORS failure,
	// a network error): Error then holds the browser's reason if recorded.
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
	// ACAO and ACAC as received (null: absent); Vary combined.
	ACAO *string `json:"acao"`
	ACAC *string `json:"acac"`
	Vary *string `json:"vary"`
	// BrowserCache is the browser's own cache ("memory", "disk") when the
	// HAR says the answer came from it; "" when it does not say so.
	BrowserCache string `json:"browser_cache,omitempty"`
	// Cache is the CDN/proxy cache status read from the recorded response
	// headers (as for probed responses), CacheSource the header it came from.
	Cache       CacheStatus `json:"cache"`
	CacheSource string      `json:"cache_source,omitempty"`
	// ServerIP is the HAR's serverIPAddress: the edge the browser reached.
	ServerIP string `json:"server_ip,omitempty"`
	// First is the startedDateTime of the first such answer.
	First string `json:"first,omitempty"`
	Count int    `json:"count"`
}

// MaxHARObservations bounds the distinct observations a capture keeps.
const MaxHARObservations = 16

// Add merges o into the capture (counting it when an identical one is
// there already).
func (c *HARCapture) Add(o HARObservation) {
	for i := range c.Observations {
		if c.Observations[i].sameAs(o) {
			c.Observations[i].Count += o.Count
			return
		}
	}
	if len(c.Observations) >= MaxHARObservations {
		c.Omitted++
		return
	}
	c.Observations = append(c.Observations, o)
}

func samePtr(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func (a HARObservation) sameAs(b HARObservation) bool {
	return samePtr(a.Origin, b.Origin) && a.Method == b.Method && a.Status == b.Status && a.Error == b.Error &&
		samePtr(a.ACAO, b.ACAO) && samePtr(a.ACAC, b.ACAC) && samePtr(a.Vary, b.Vary) &&
		a.BrowserCache == b.BrowserCache && a.Cache == b.Cache && a.ServerIP == b.ServerIP
}
