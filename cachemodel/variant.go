package cachemodel

// VariantKind says why a request carried the Origin it carried.
type VariantKind string

// Variant kinds sent in observe mode. Generated adversarial kinds (isolate
// mode) are declared next to their generator.
const (
	KindNoOrigin   VariantKind = "no-origin"   // no Origin header at all (a plain <img> or navigation)
	KindSameOrigin VariantKind = "same-origin" // the target's own origin
	KindConfigured VariantKind = "configured"  // an origin the user asked for
	KindNull       VariantKind = "null"        // Origin: null (sandboxed or redirected pages)
)

// Variant is one Origin to send, labelled with its kind.
type Variant struct {
	Kind VariantKind `json:"kind"`
	// Origin is the header value; empty exactly when Kind is KindNoOrigin.
	Origin string `json:"origin,omitempty"`
}

// HasOrigin reports whether requests for this variant carry an Origin header.
func (v Variant) HasOrigin() bool { return v.Kind != KindNoOrigin }

// Label is a short human name for the variant: the origin itself, or
// "(no Origin)".
func (v Variant) Label() string {
	if !v.HasOrigin() {
		return "(no Origin)"
	}
	return v.Origin
}
