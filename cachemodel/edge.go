package cachemodel

// EdgeOf names the CDN edge (PoP) that served a response, or "" when the
// response does not say. The product table (products.go) knows, per
// product, which header names the edge and how to read it (the CF-Ray
// suffix, X-Amz-Cf-Pop, the last POP of Fastly's X-Served-By, X-Edge-Pop,
// ...), so adding a CDN adds its edge too. The value is server text,
// bounded and checked to be a plain token there: callers escape it before
// it reaches a terminal.
func EdgeOf(h Headers) string { return detectProduct(h, false).Edge }
