package report

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/corscope/corscope/cachemodel"
)

// appendTargetJSON appends t as compact JSON, byte for byte what
// encoding/json's Marshal gives (HTML-safe escaping included), without
// reflection: on a run of thousands of targets the reflective encoder was
// the largest cost after the network.
//
// It only knows the report types as they are; reportTypesKnown checks at
// first use, type by type, that they still are, and a type that changed is
// written by encoding/json instead, so a field added to a report type can
// never go missing from the output, only make it slower (and fail
// TestReportShapeKnown until this file learns it).
func appendTargetJSON(b []byte, t *cachemodel.TargetReport) ([]byte, error) {
	e := jsonEnc{b: b, known: reportTypesKnown()}
	e.target(t)
	return e.b, e.err
}

var errUnsupportedFloat = errors.New("report: NaN or infinite timing")

type jsonEnc struct {
	b     []byte
	err   error
	known *knownTypes
}

// marshal writes v with encoding/json: the path for a report type that no
// longer has the shape this encoder was written for.
func (e *jsonEnc) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		e.err = err
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, b...)
}

func (e *jsonEnc) str(s string) { e.b = appendJSONString(e.b, s) }

func (e *jsonEnc) boolean(v bool) { e.b = strconv.AppendBool(e.b, v) }

func (e *jsonEnc) integer(v int64) { e.b = strconv.AppendInt(e.b, v, 10) }

func (e *jsonEnc) strPtr(p *string) {
	if p == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.str(*p)
}

func (e *jsonEnc) boolPtr(p *bool) {
	if p == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.boolean(*p)
}

// float writes a float64 as encoding/json does: like ES6 number-to-string,
// plain below 1e21 and from 1e-6 on, exponent form otherwise, with the
// exponent unpadded.
func (e *jsonEnc) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.err = errUnsupportedFloat
		e.b = append(e.b, '0')
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	e.b = strconv.AppendFloat(e.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(e.b); n >= 4 && e.b[n-4] == 'e' && e.b[n-3] == '-' && e.b[n-2] == '0' {
			e.b[n-2] = e.b[n-1]
			e.b = e.b[:n-1]
		}
	}
}

func (e *jsonEnc) strings(list []string) {
	if list == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i, s := range list {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.str(s)
	}
	e.b = append(e.b, ']')
}

func (e *jsonEnc) headers(h cachemodel.Headers) {
	if h == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i := range h {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		f := &h[i]
		if !e.known.header {
			e.marshal(f)
			continue
		}
		e.b = append(e.b, `{"name":`...)
		e.str(f.Name)
		e.b = append(e.b, `,"value":`...)
		e.str(f.Value)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ']')
}

func (e *jsonEnc) target(t *cachemodel.TargetReport) {
	if !e.known.target {
		e.marshal(t)
		return
	}
	e.b = append(e.b, `{"url":`...)
	e.str(t.URL)
	e.b = append(e.b, `,"state":`...)
	e.str(string(t.State))
	if t.StateDetail != "" {
		e.b = append(e.b, `,"state_detail":`...)
		e.str(t.StateDetail)
	}
	e.b = append(e.b, `,"provider":`...)
	e.str(string(t.Provider))
	if len(t.ProviderEvidence) > 0 {
		e.b = append(e.b, `,"provider_evidence":[`...)
		for i, s := range t.ProviderEvidence {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.str(s)
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, `,"variants":`...)
	if t.Variants == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.b = append(e.b, '[')
		for i := range t.Variants {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.variant(&t.Variants[i])
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, `,"diffs":`...)
	if t.Diffs == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.b = append(e.b, '[')
		for i := range t.Diffs {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.diff(&t.Diffs[i])
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, `,"findings":`...)
	if t.Findings == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.b = append(e.b, '[')
		for i := range t.Findings {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.finding(&t.Findings[i])
		}
		e.b = append(e.b, ']')
	}
	if t.CacheKey != nil {
		e.b = append(e.b, `,"cache_key":`...)
		e.cacheKey(t.CacheKey)
	}
	if t.HAR != nil {
		// Rare (check --har) and small: encoding/json writes it.
		e.b = append(e.b, `,"har":`...)
		e.marshal(t.HAR)
	}
	if len(t.Edges) > 0 {
		e.b = append(e.b, `,"edges":`...)
		e.strings(t.Edges)
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) variant(v *cachemodel.VariantResult) {
	if !e.known.variant {
		e.marshal(v)
		return
	}
	e.b = append(e.b, `{"label":`...)
	e.str(v.Label)
	e.b = append(e.b, `,"kind":`...)
	e.str(string(v.Kind))
	if v.Edge != "" {
		e.b = append(e.b, `,"edge":`...)
		e.str(v.Edge)
	}
	if v.EdgeAddr != "" {
		e.b = append(e.b, `,"edge_addr":`...)
		e.str(v.EdgeAddr)
	}
	if v.Vantage != "" {
		e.b = append(e.b, `,"vantage":`...)
		e.str(v.Vantage)
	}
	e.b = append(e.b, `,"origin":`...)
	e.strPtr(v.Origin)
	e.b = append(e.b, `,"round":`...)
	e.integer(int64(v.Round))
	e.b = append(e.b, `,"method":`...)
	e.str(v.Method)
	e.b = append(e.b, `,"preflight":`...)
	e.boolean(v.Preflight)
	if v.Experiment != "" {
		e.b = append(e.b, `,"experiment":`...)
		e.str(v.Experiment)
	}
	if v.CacheBuster != "" {
		e.b = append(e.b, `,"cache_buster":`...)
		e.str(v.CacheBuster)
	}
	e.b = append(e.b, `,"request":`...)
	e.request(&v.Request)
	e.b = append(e.b, `,"response":`...)
	e.response(v.Response)
	e.b = append(e.b, `,"error":`...)
	e.probeError(v.Error)
	e.b = append(e.b, `,"timing":`...)
	e.timing(&v.Timing)
	e.b = append(e.b, `,"cache":`...)
	e.cache(&v.Cache)
	e.b = append(e.b, `,"cors":`...)
	e.cors(&v.CORS)
	e.b = append(e.b, `,"curl":`...)
	e.str(v.Curl)
	if v.BrowserConfirm != nil { // rare (--confirm-in): encoding/json is fast enough
		e.b = append(e.b, `,"browser_confirm":`...)
		e.marshal(v.BrowserConfirm)
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) request(r *cachemodel.RequestInfo) {
	if !e.known.request {
		e.marshal(r)
		return
	}
	e.b = append(e.b, `{"url":`...)
	e.str(r.URL)
	e.b = append(e.b, `,"headers":`...)
	e.headers(r.Headers)
	e.b = append(e.b, '}')
}

func (e *jsonEnc) response(r *cachemodel.ResponseInfo) {
	switch {
	case r == nil:
		e.b = append(e.b, "null"...)
		return
	case !e.known.response:
		e.marshal(r)
		return
	}
	e.b = append(e.b, `{"status":`...)
	e.integer(int64(r.Status))
	e.b = append(e.b, `,"proto":`...)
	e.str(r.Proto)
	e.b = append(e.b, `,"headers":`...)
	e.headers(r.Headers)
	e.b = append(e.b, `,"remote_addr":`...)
	e.str(r.RemoteAddr)
	e.b = append(e.b, `,"body_bytes":`...)
	e.integer(r.BodyBytes)
	e.b = append(e.b, `,"body_truncated":`...)
	e.boolean(r.BodyTruncated)
	if r.BodyError != nil {
		e.b = append(e.b, `,"body_error":`...)
		e.probeError(r.BodyError)
	}
	if len(r.Redirects) > 0 {
		e.b = append(e.b, `,"redirects":`...)
		e.strings(r.Redirects)
	}
	if len(r.Hops) > 0 {
		// Rare (--follow only): encoding/json is fast enough.
		e.b = append(e.b, `,"hops":`...)
		e.marshal(r.Hops)
	}
	if r.Sent != nil {
		e.b = append(e.b, `,"sent":`...)
		e.marshal(r.Sent)
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) probeError(pe *cachemodel.ProbeError) {
	switch {
	case pe == nil:
		e.b = append(e.b, "null"...)
		return
	case !e.known.probeError:
		e.marshal(pe)
		return
	}
	e.b = append(e.b, `{"kind":`...)
	e.str(string(pe.Kind))
	e.b = append(e.b, `,"message":`...)
	e.str(pe.Message)
	e.b = append(e.b, '}')
}

func (e *jsonEnc) timing(t *cachemodel.TimingInfo) {
	if !e.known.timing {
		e.marshal(t)
		return
	}
	e.b = append(e.b, `{"connect_ms":`...)
	e.float(t.ConnectMS)
	e.b = append(e.b, `,"ttfb_ms":`...)
	e.float(t.TTFBMS)
	e.b = append(e.b, `,"total_ms":`...)
	e.float(t.TotalMS)
	e.b = append(e.b, '}')
}

func (e *jsonEnc) cache(c *cachemodel.CacheInfo) {
	if !e.known.cache {
		e.marshal(c)
		return
	}
	e.b = append(e.b, `{"status":`...)
	e.str(string(c.Status))
	e.b = append(e.b, `,"source":`...)
	e.str(c.Source)
	if c.Raw != "" {
		e.b = append(e.b, `,"raw":`...)
		e.str(c.Raw)
	}
	if c.Weak {
		e.b = append(e.b, `,"weak":true`...)
	}
	e.b = append(e.b, `,"age":`...)
	if c.Age == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.integer(*c.Age)
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) cors(c *cachemodel.CORSInfo) {
	if !e.known.cors {
		e.marshal(c)
		return
	}
	e.b = append(e.b, `{"applicable":`...)
	e.boolean(c.Applicable)
	e.b = append(e.b, `,"acao":`...)
	e.strPtr(c.ACAO)
	e.b = append(e.b, `,"acao_count":`...)
	e.integer(int64(c.ACAOCount))
	e.b = append(e.b, `,"acac":`...)
	e.strPtr(c.ACAC)
	e.b = append(e.b, `,"vary":`...)
	e.strings(c.Vary)
	e.b = append(e.b, `,"allowed":`...)
	e.boolPtr(c.Allowed)
	e.b = append(e.b, `,"allowed_with_credentials":`...)
	e.boolPtr(c.AllowedWithCredentials)
	e.b = append(e.b, `,"reason":`...)
	e.str(c.Reason)
	e.b = append(e.b, `,"reason_with_credentials":`...)
	e.str(c.ReasonWithCredentials)
	if c.Detail != "" {
		e.b = append(e.b, `,"detail":`...)
		e.str(c.Detail)
	}
	if s := c.Standard; s != nil {
		e.b = append(e.b, `,"standard":{"deviation":`...)
		e.str(string(s.Deviation))
		e.b = append(e.b, `,"allowed":`...)
		e.boolean(s.Allowed)
		e.b = append(e.b, `,"allowed_with_credentials":`...)
		e.boolean(s.AllowedWithCredentials)
		e.b = append(e.b, `,"reason":`...)
		e.str(s.Reason)
		e.b = append(e.b, `,"reason_with_credentials":`...)
		e.str(s.ReasonWithCredentials)
		e.b = append(e.b, `,"detail":`...)
		e.str(s.Detail)
		e.b = append(e.b, `,"browsers":`...)
		e.strings(s.Browsers)
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) diff(d *cachemodel.HeaderDiff) {
	if !e.known.diff {
		e.marshal(d)
		return
	}
	e.b = append(e.b, `{"name":`...)
	e.str(d.Name)
	e.b = append(e.b, `,"scope":`...)
	e.str(string(d.Scope))
	if d.Round != 0 {
		e.b = append(e.b, `,"round":`...)
		e.integer(int64(d.Round))
	}
	if d.Label != "" {
		e.b = append(e.b, `,"label":`...)
		e.str(d.Label)
	}
	e.b = append(e.b, `,"values":`...)
	if d.Values == nil {
		e.b = append(e.b, "null"...)
	} else {
		e.b = append(e.b, '[')
		for i := range d.Values {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			v := &d.Values[i]
			if !e.known.diffValue {
				e.marshal(v)
				continue
			}
			e.b = append(e.b, `{"label":`...)
			e.str(v.Label)
			e.b = append(e.b, `,"round":`...)
			e.integer(int64(v.Round))
			e.b = append(e.b, `,"value":`...)
			e.str(v.Value)
			e.b = append(e.b, `,"present":`...)
			e.boolean(v.Present)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) finding(f *cachemodel.Finding) {
	if !e.known.finding {
		e.marshal(f)
		return
	}
	e.b = append(e.b, `{"rule":`...)
	e.str(f.Rule)
	e.b = append(e.b, `,"severity":`...)
	e.str(string(f.Severity))
	e.b = append(e.b, `,"message":`...)
	e.str(f.Message)
	e.b = append(e.b, `,"evidence":`...)
	e.strings(f.Evidence)
	if len(f.Variants) > 0 {
		e.b = append(e.b, `,"variants":[`...)
		for i, v := range f.Variants {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.integer(int64(v))
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, `,"fix":`...)
	e.str(f.Fix)
	if f.FromErrorStatus {
		e.b = append(e.b, `,"from_error_status":true`...)
	}
	if f.Edge != "" {
		e.b = append(e.b, `,"edge":`...)
		e.str(f.Edge)
	}
	if f.Vantage != "" {
		e.b = append(e.b, `,"vantage":`...)
		e.str(f.Vantage)
	}
	e.b = append(e.b, '}')
}

func (e *jsonEnc) cacheKey(k *cachemodel.CacheKeyFacts) {
	if !e.known.cacheKey {
		e.marshal(k)
		return
	}
	e.b = append(e.b, `{"origin_in_key":`...)
	e.boolPtr(k.OriginInKey)
	e.b = append(e.b, `,"vary_honoured":`...)
	e.boolPtr(k.VaryHonoured)
	e.b = append(e.b, `,"cacheable":`...)
	e.boolPtr(k.Cacheable)
	if len(k.Evidence) > 0 {
		e.b = append(e.b, `,"evidence":`...)
		e.strings(k.Evidence)
	}
	e.b = append(e.b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping on:
// ", \ and control bytes escaped (\b \f \n \r \t by name), <, > and &
// as \u003c-style escapes, invalid UTF-8 as \ufffd, and U+2028/U+2029
// escaped for JavaScript.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// reportShape lists, per report type, its fields as "Name tag type": what
// appendTargetJSON was written against.
var reportShape = map[reflect.Type][]string{
	reflect.TypeFor[cachemodel.TargetReport](): {
		`URL json:"url" string`, `State json:"state" cachemodel.TargetState`,
		`StateDetail json:"state_detail,omitempty" string`, `Provider json:"provider" cachemodel.Provider`,
		`ProviderEvidence json:"provider_evidence,omitempty" []string`,
		`Variants json:"variants" []cachemodel.VariantResult`, `Diffs json:"diffs" []cachemodel.HeaderDiff`,
		`Findings json:"findings" []cachemodel.Finding`, `CacheKey json:"cache_key,omitempty" *cachemodel.CacheKeyFacts`,
		`HAR json:"har,omitempty" *cachemodel.HARCapture`,
		`Edges json:"edges,omitempty" []string`,
	},
	reflect.TypeFor[cachemodel.VariantResult](): {
		`Label json:"label" string`, `Kind json:"kind" cachemodel.VariantKind`,
		`Edge json:"edge,omitempty" string`, `EdgeAddr json:"edge_addr,omitempty" string`, `Vantage json:"vantage,omitempty" string`,
		`Origin json:"origin" *string`,
		`Round json:"round" int`, `Method json:"method" string`, `Preflight json:"preflight" bool`,
		`Experiment json:"experiment,omitempty" string`, `CacheBuster json:"cache_buster,omitempty" string`,
		`Request json:"request" cachemodel.RequestInfo`, `Response json:"response" *cachemodel.ResponseInfo`,
		`Error json:"error" *cachemodel.ProbeError`, `Timing json:"timing" cachemodel.TimingInfo`,
		`Cache json:"cache" cachemodel.CacheInfo`, `CORS json:"cors" cachemodel.CORSInfo`, `Curl json:"curl" string`,
		`BrowserConfirm json:"browser_confirm,omitempty" *cachemodel.BrowserConfirm`,
	},
	reflect.TypeFor[cachemodel.RequestInfo](): {`URL json:"url" string`, `Headers json:"headers" cachemodel.Headers`},
	reflect.TypeFor[cachemodel.Header]():      {`Name json:"name" string`, `Value json:"value" string`},
	reflect.TypeFor[cachemodel.ResponseInfo](): {
		`Status json:"status" int`, `Proto json:"proto" string`, `Headers json:"headers" cachemodel.Headers`,
		`RemoteAddr json:"remote_addr" string`, `BodyBytes json:"body_bytes" int64`, `BodyTruncated json:"body_truncated" bool`,
		`BodyError json:"body_error,omitempty" *cachemodel.ProbeError`, `Redirects json:"redirects,omitempty" []string`,
		`Hops json:"hops,omitempty" []cachemodel.HopInfo`, `Sent json:"sent,omitempty" *cachemodel.SentInfo`,
	},
	reflect.TypeFor[cachemodel.ProbeError](): {`Kind json:"kind" cachemodel.ErrorKind`, `Message json:"message" string`},
	reflect.TypeFor[cachemodel.TimingInfo](): {
		`ConnectMS json:"connect_ms" float64`, `TTFBMS json:"ttfb_ms" float64`, `TotalMS json:"total_ms" float64`,
	},
	reflect.TypeFor[cachemodel.CacheInfo](): {
		`Status json:"status" cachemodel.CacheStatus`, `Source json:"source" string`, `Raw json:"raw,omitempty" string`,
		`Weak json:"weak,omitempty" bool`, `Age json:"age" *int64`,
	},
	reflect.TypeFor[cachemodel.CORSInfo](): {
		`Applicable json:"applicable" bool`, `ACAO json:"acao" *string`, `ACAOCount json:"acao_count" int`,
		`ACAC json:"acac" *string`, `Vary json:"vary" []string`, `Allowed json:"allowed" *bool`,
		`AllowedWithCredentials json:"allowed_with_credentials" *bool`, `Reason json:"reason" string`,
		`ReasonWithCredentials json:"reason_with_credentials" string`, `Detail json:"detail,omitempty" string`,
		`Standard json:"standard,omitempty" *cachemodel.StandardVerdict`,
	},
	reflect.TypeFor[cachemodel.StandardVerdict](): {
		`Deviation json:"deviation" cachemodel.Deviation`, `Allowed json:"allowed" bool`,
		`AllowedWithCredentials json:"allowed_with_credentials" bool`, `Reason json:"reason" string`,
		`ReasonWithCredentials json:"reason_with_credentials" string`, `Detail json:"detail" string`,
		`Browsers json:"browsers" []string`,
	},
	reflect.TypeFor[cachemodel.HeaderDiff](): {
		`Name json:"name" string`, `Scope json:"scope" cachemodel.DiffScope`, `Round json:"round,omitempty" int`,
		`Label json:"label,omitempty" string`, `Values json:"values" []cachemodel.DiffValue`,
	},
	reflect.TypeFor[cachemodel.DiffValue](): {
		`Label json:"label" string`, `Round json:"round" int`, `Value json:"value" string`, `Present json:"present" bool`,
	},
	reflect.TypeFor[cachemodel.Finding](): {
		`Rule json:"rule" string`, `Severity json:"severity" cachemodel.Severity`, `Message json:"message" string`,
		`Evidence json:"evidence" []string`, `Variants json:"variants,omitempty" []int`, `Fix json:"fix" string`, `FromErrorStatus json:"from_error_status,omitempty" bool`,
		`Edge json:"edge,omitempty" string`, `Vantage json:"vantage,omitempty" string`,
	},
	reflect.TypeFor[cachemodel.CacheKeyFacts](): {
		`OriginInKey json:"origin_in_key" *bool`, `VaryHonoured json:"vary_honoured" *bool`,
		`Cacheable json:"cacheable" *bool`, `Evidence json:"evidence,omitempty" []string`,
	},
}

// knownTypes says, per report type, whether it still has the shape in
// reportShape.
type knownTypes struct {
	target, variant, request, header, response, probeError, timing, cache, cors,
	diff, diffValue, finding, cacheKey bool
}

// reportTypesKnown is computed once, on the first target written.
var reportTypesKnown = sync.OnceValue(func() *knownTypes {
	ok := func(v any) bool { return typeMismatch(reflect.TypeOf(v)) == "" }
	return &knownTypes{
		target: ok(cachemodel.TargetReport{}), variant: ok(cachemodel.VariantResult{}),
		request: ok(cachemodel.RequestInfo{}), header: ok(cachemodel.Header{}),
		response: ok(cachemodel.ResponseInfo{}), probeError: ok(cachemodel.ProbeError{}),
		timing: ok(cachemodel.TimingInfo{}), cache: ok(cachemodel.CacheInfo{}), cors: ok(cachemodel.CORSInfo{}) && ok(cachemodel.StandardVerdict{}),
		diff: ok(cachemodel.HeaderDiff{}), diffValue: ok(cachemodel.DiffValue{}),
		finding: ok(cachemodel.Finding{}), cacheKey: ok(cachemodel.CacheKeyFacts{}),
	}
})

// shapeMismatch describes the first report type that differs from
// reportShape, or returns "".
func shapeMismatch() string {
	for typ := range reportShape {
		if why := typeMismatch(typ); why != "" {
			return why
		}
	}
	return ""
}

// typeMismatch describes how typ differs from its reportShape entry (or
// that it has none), or returns "".
func typeMismatch(typ reflect.Type) string {
	want, ok := reportShape[typ]
	if !ok {
		return typ.String() + " is not in reportShape"
	}
	marshaler := reflect.TypeFor[interface{ MarshalJSON() ([]byte, error) }]()
	texter := reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
	custom := func(t reflect.Type) bool {
		return t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler) ||
			t.Implements(texter) || reflect.PointerTo(t).Implements(texter)
	}
	if custom(typ) {
		return typ.String() + " has its own JSON or text marshaller"
	}
	if typ.NumField() != len(want) {
		return typ.String() + " has " + strconv.Itoa(typ.NumField()) + " fields, the fast JSON encoder knows " + strconv.Itoa(len(want))
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		got := f.Name + " " + string(f.Tag) + " " + f.Type.String()
		if got != want[i] {
			return typ.String() + " field " + strconv.Itoa(i) + " is `" + got + "`, the fast JSON encoder knows `" + want[i] + "`"
		}
		if custom(f.Type) {
			return f.Type.String() + " has its own JSON or text marshaller"
		}
	}
	return ""
}
