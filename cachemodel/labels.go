package cachemodel

import (
	"strings"
)

// This file is corscope's vocabulary: the short words and glyphs every view
// (the check table, Markdown, the TUI) shows for a fact, and the class that
// says what the fact means for colouring. A view takes both from here, so a
// fact reads the same in the table and the TUI. Every label carries its
// meaning in words or glyphs: colour only repeats it.

// Class is what a label means, for colouring. It is plain data: the themes
// package maps class names to styles without importing cachemodel.
type Class string

// Classes.
const (
	ClassNeutral Class = "neutral" // plain text: a value with nothing to judge
	ClassMuted   Class = "muted"   // no verdict to give: not a CORS request, an unknown cache status
	ClassGood    Class = "good"    // the browser allows it; a target with nothing wrong
	ClassBad     Class = "bad"     // the browser blocks it; CORS not enabled
	ClassError   Class = "error"   // the request failed; no complete verdict
	ClassProblem Class = "problem" // ⚠ a response cached for another request
	ClassHit     Class = "hit"     // served fresh from a cache
	ClassMiss    Class = "miss"    // fetched from the origin
	ClassStale   Class = "stale"   // served from a stored copy that had expired (stale, updating, revalidated)
	ClassBypass  Class = "bypass"  // the cache did not cache it
	ClassHigh    Class = "high"    // severities
	ClassMedium  Class = "medium"
	ClassLow     Class = "low"
	ClassInfo    Class = "info"
)

// Classes lists every class, for tests that check each has a style.
var Classes = []Class{
	ClassNeutral, ClassMuted, ClassGood, ClassBad, ClassError, ClassProblem,
	ClassHit, ClassMiss, ClassStale, ClassBypass,
	ClassHigh, ClassMedium, ClassLow, ClassInfo,
}

// BlockReasons lists every reason the CORS check gives for a block.
var BlockReasons = []BlockReason{
	ReasonMissingACAO, ReasonDuplicateACAO, ReasonACAOMismatch, ReasonWildcardCreds,
	ReasonACACMissing, ReasonACACNotTrue, ReasonPreflightStatus, ReasonMethodDenied,
	ReasonHeaderDenied, ReasonBadAllowList,
}

// CacheStatuses lists every normalised cache status.
var CacheStatuses = []CacheStatus{
	StatusHit, StatusMiss, StatusExpired, StatusStale, StatusRevalidated,
	StatusUpdating, StatusBypass, StatusDynamic, StatusPass, StatusUnknown,
}

// Severities lists every severity, the worst first.
var Severities = []Severity{SevHigh, SevMedium, SevLow, SevInfo}

// Short is a block reason in at most 10 columns, for a verdict cell
// ("✗ no ACAO"); an unknown reason reads "blocked".
func (r BlockReason) Short() string {
	switch r {
	case ReasonMissingACAO:
		return "no ACAO"
	case ReasonDuplicateACAO:
		return "dup ACAO"
	case ReasonACAOMismatch:
		return "wrong ACAO"
	case ReasonWildcardCreds:
		return "* + creds"
	case ReasonACACMissing:
		return "no ACAC"
	case ReasonACACNotTrue:
		return "bad ACAC"
	case ReasonPreflightStatus:
		return "preflight"
	case ReasonMethodDenied:
		return "bad method"
	case ReasonHeaderDenied:
		return "bad header"
	case ReasonBadAllowList:
		return "bad list"
	}
	return "blocked"
}

// Text is a block reason in a few words, for a report with room
// ("ACAO mismatch"); an unknown reason is returned as it is.
func (r BlockReason) Text() string {
	if s, ok := corsReasonText[r]; ok {
		return s
	}
	return string(r)
}

// Short is a cache status in at most 7 columns, for a table cell: UNKNOWN
// reads "?" and REVALIDATED "REVALID".
func (s CacheStatus) Short() string {
	switch s {
	case "", StatusUnknown:
		return "?"
	case StatusRevalidated:
		return "REVALID"
	}
	return string(s)
}

// Class colours a cache status: served fresh from a cache is hit, fetched
// from the origin is miss, served from an expired stored copy (stale,
// updating, or revalidated with the origin) is stale, not cached is bypass.
func (s CacheStatus) Class() Class {
	switch s {
	case StatusHit:
		return ClassHit
	case StatusMiss, StatusExpired:
		return ClassMiss
	case StatusStale, StatusUpdating, StatusRevalidated:
		return ClassStale
	case StatusBypass, StatusDynamic, StatusPass:
		return ClassBypass
	}
	return ClassMuted
}

// WeakMark follows a cache status that rests only on a weak hint (Age);
// WeakLegend explains it.
const (
	WeakMark   = "*"
	WeakLegend = WeakMark + " cache status inferred from Age only"
)

// Label is a response's cache status for a cell: the short status, marked
// * when only Age says a cache answered (at most 8 columns).
func (c CacheInfo) Label() string {
	if c.Weak {
		return c.Status.Short() + WeakMark
	}
	return c.Status.Short()
}

// Label is a severity as a list shows it: "HIGH".
func (s Severity) Label() string { return strings.ToUpper(string(s)) }

// Class colours a severity; anything unknown is info.
func (s Severity) Class() Class {
	switch s {
	case SevHigh:
		return ClassHigh
	case SevMedium:
		return ClassMedium
	case SevLow:
		return ClassLow
	}
	return ClassInfo
}

// Class colours a target state: ok is good, a state without a complete
// verdict is error, CORS not enabled is bad.
func (s TargetState) Class() Class {
	switch {
	case s == StateOK:
		return ClassGood
	case s.Unknown():
		return ClassError
	case s == StateCORSNotEnabled:
		return ClassBad
	}
	return ClassMuted
}

// StandardMark follows a verdict that today's browsers and the Fetch
// standard do not share (CORSInfo.Standard); the notes explain it.
const StandardMark = "†"

// Verdict is the browser's answer to one request in at most 13 columns,
// readable without colour, and its class:
//
//	! timeout        the request failed (the error kind)
//	– not CORS       no Origin sent: the browser runs no CORS check
//	– same-origin    the target's own origin: no CORS check either
//	✓ allowed        allowed with and without credentials
//	✓ anon only      allowed without credentials, blocked with them
//	✓ anon, ?        allowed without credentials, nothing known with them
//	✗ no ACAO        blocked, and why (BlockReason.Short)
//	?                no verdict
//
// An allowed verdict the Fetch standard blocks ends in " †".
func (v VariantResult) Verdict() (string, Class) {
	c := v.CORS
	switch {
	case v.Error != nil:
		return "! " + string(v.Error.Kind), ClassError
	case v.Response == nil:
		return "! failed", ClassError
	case !c.Applicable && v.Kind == KindSameOrigin:
		return "– same-origin", ClassMuted
	case !c.Applicable:
		return "– not CORS", ClassMuted
	case c.Allowed == nil:
		return "?", ClassMuted
	case !*c.Allowed:
		return "✗ " + BlockReason(c.Reason).Short(), ClassBad
	}
	mark := ""
	if c.Standard != nil {
		mark = " " + StandardMark
	}
	switch {
	case c.AllowedWithCredentials == nil:
		return "✓ anon, ?" + mark, ClassGood
	case *c.AllowedWithCredentials:
		return "✓ allowed" + mark, ClassGood
	}
	return "✓ anon only" + mark, ClassGood
}

// ModeVerdict is the verdict for one credentials mode, for a view with a
// line or column per mode: "✓ allowed", "✗ blocked: ACAO mismatch" or
// "? unknown". reason is the CORSInfo reason for that mode.
func ModeVerdict(allowed *bool, reason string) string {
	switch {
	case allowed == nil:
		return "? unknown"
	case *allowed:
		return "✓ allowed"
	case reason == "":
		return "✗ blocked"
	}
	return "✗ blocked: " + BlockReason(reason).Text()
}

// CachedForAnother marks a cell whose response a cache stored for another
// request (ServedForAnother); CachedForAnotherLegend explains the mark.
const (
	CachedForAnother       = "⚠"
	CachedForAnotherLegend = CachedForAnother + " cached for another request"
)

// Line sums up what isolate mode inferred about the cache key, each fact
// yes, no or unknown.
func (k CacheKeyFacts) Line() string {
	yn := func(b *bool) string {
		switch {
		case b == nil:
			return "unknown"
		case *b:
			return "yes"
		}
		return "no"
	}
	return "cache key: Origin in key " + yn(k.OriginInKey) + " · Vary honoured " + yn(k.VaryHonoured) + " · cacheable " + yn(k.Cacheable)
}

// ConfirmLine is a real browser's own answer for the variant (check
// --confirm-in) beside corscope's verdict, in one sentence, and the
// browser's console text (it can be long; "" when it logged nothing); ""
// without an answer. The class is good when both credentials modes agree,
// bad when one disagrees, muted otherwise. The text is untrusted: escape
// it at the edge.
func (v VariantResult) ConfirmLine() (line, console string, class Class) {
	bc := v.BrowserConfirm
	if bc == nil {
		return "", "", ClassNeutral
	}
	line = "⧉ " + bc.Browser + " " + bc.Version + " from " + bc.Origin + ": anonymous " + bc.Anonymous.Words() +
		", with credentials " + bc.Credentials.Words() + "; corscope: " + plainVerdict(v.CORS.Allowed) +
		", " + plainVerdict(v.CORS.AllowedWithCredentials)
	a, c := bc.Anonymous.Agrees, bc.Credentials.Agrees
	class = ClassMuted
	switch {
	case bc.NotCompared != "":
		line += " (not compared: " + bc.NotCompared + ")"
	case a != nil && *a && c != nil && *c:
		line += " (agree)"
		class = ClassGood
	case a != nil && !*a || c != nil && !*c:
		line += " (DISAGREE)"
		class = ClassBad
	}
	if bc.Note != "" {
		line += "; note: " + bc.Note
	}
	return line, bc.consoleLine(), class
}

// plainVerdict is a verdict in the browser's words (BrowserFetch.Words),
// for comparing the two side by side.
func plainVerdict(b *bool) string {
	switch {
	case b == nil:
		return BrowserUnknown
	case *b:
		return BrowserAllowed
	}
	return BrowserBlocked
}

// consoleLine is the browser's console text per credentials mode, said
// once when both modes logged the same.
func (bc *BrowserConfirm) consoleLine() string {
	a, c := bc.Anonymous.Console, bc.Credentials.Console
	switch {
	case a != "" && a == c:
		return "console (both modes): " + a
	case a != "" && c != "":
		return "console (anonymous): " + a + " · console (with credentials): " + c
	case a != "":
		return "console (anonymous): " + a
	case c != "":
		return "console (with credentials): " + c
	}
	return ""
}

// VantageLabel names the vantage point a merged view's response was seen
// from: "[eu]"; "" for none.
func VantageLabel(vantage string) string {
	if vantage == "" {
		return ""
	}
	return "[" + vantage + "]"
}

// EdgeAddrLabel names the address an --edge request was sent to:
// "@192.0.2.1", or "@(DNS)" for the address DNS gave.
func EdgeAddrLabel(addr string) string {
	if addr == "" {
		return "@(DNS)"
	}
	return "@" + addr
}

// EdgeLabel names the edge (PoP) a response says served it: "edge AMS".
func EdgeLabel(pop string) string { return "edge " + pop }
