package handlers

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies is the set of reverse proxies whose forwarding headers are
// believed. Empty (the default) believes none: a client cannot then dodge
// the login throttle or fake https by sending X-Forwarded-For itself.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDRs or single addresses,
// e.g. "127.0.0.1, 10.0.0.0/8, ::1".
func ParseProxies(list string) (Proxies, error) {
	var ps Proxies
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
			}
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peer is the address of the TCP peer.
func peer(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// ClientIP is the address of the person's machine: the peer, or — when the
// peer is a trusted proxy — the nearest address in the forwarding chain
// that is not itself a trusted proxy (read from the right, because each
// proxy appends and only the part our proxies wrote can be believed).
func (ps Proxies) ClientIP(r *http.Request) string {
	a, ok := peer(r)
	if !ok {
		return r.RemoteAddr
	}
	if !ps.trusts(a) {
		return a.String()
	}
	chain := forwardedFor(r.Header)
	for i := len(chain) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(chain[i])
		if err != nil {
			break // garbage in the chain: stop at what we can believe
		}
		a = hop.Unmap()
		if !ps.trusts(a) {
			break
		}
	}
	return a.String()
}

// HTTPS tells whether the person's connection is https: TLS here, or a
// trusted proxy that says it received https.
func (ps Proxies) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	a, ok := peer(r)
	if !ok || !ps.trusts(a) {
		return false
	}
	if p := forwardedParam(r.Header, "proto"); p != "" {
		return strings.EqualFold(p, "https")
	}
	return strings.EqualFold(strings.TrimSpace(lastComma(r.Header.Get("X-Forwarded-Proto"))), "https")
}

// forwardedFor lists the hops of the standard Forwarded header (RFC 7239),
// or else of X-Forwarded-For, oldest first.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("Forwarded") {
		for _, elem := range strings.Split(line, ",") {
			for _, pair := range strings.Split(elem, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, forwardedNode(v))
				}
			}
		}
	}
	if len(hops) > 0 {
		return hops
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for _, f := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(f))
		}
	}
	return hops
}

// forwardedNode strips the quotes, brackets and port of a Forwarded "for"
// value: "[2001:db8::1]:4711" → 2001:db8::1.
func forwardedNode(v string) string {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if strings.HasPrefix(v, "[") {
		if end := strings.Index(v, "]"); end > 0 {
			return v[1:end]
		}
	}
	if host, _, err := net.SplitHostPort(v); err == nil {
		return host
	}
	return v
}

// forwardedParam is the named parameter of the last (nearest) element of
// the Forwarded header.
func forwardedParam(h http.Header, name string) string {
	vals := h.Values("Forwarded")
	if len(vals) == 0 {
		return ""
	}
	for _, pair := range strings.Split(lastComma(vals[len(vals)-1]), ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(k, name) {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func lastComma(s string) string {
	if i := strings.LastIndex(s, ","); i >= 0 {
		return s[i+1:]
	}
	return s
}
