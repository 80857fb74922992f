package handlers

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestClientIPTable(t *testing.T) {
	proxies, err := ParseProxies("127.0.0.1, 10.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		peer    string
		headers map[string]string
		want    string
	}{
		{"no proxy", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header ignored", "203.0.113.5:4000", map[string]string{"X-Forwarded-For": "1.2.3.4"}, "203.0.113.5"},
		{"trusted proxy", "127.0.0.1:4000", map[string]string{"X-Forwarded-For": "198.51.100.7"}, "198.51.100.7"},
		{"client-sent prefix not believed", "127.0.0.1:4000", map[string]string{"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"chain of trusted proxies", "127.0.0.1:4000", map[string]string{"X-Forwarded-For": "198.51.100.7, 10.1.2.3"}, "198.51.100.7"},
		{"garbage stops the walk", "127.0.0.1:4000", map[string]string{"X-Forwarded-For": "198.51.100.7, nonsense"}, "127.0.0.1"},
		{"trusted proxy without header", "127.0.0.1:4000", nil, "127.0.0.1"},
		{"Forwarded header", "[::1]:4000", map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https`}, "2001:db8::7"},
		{"Forwarded wins over X-Forwarded-For", "[::1]:4000", map[string]string{"Forwarded": "for=198.51.100.8", "X-Forwarded-For": "6.6.6.6"}, "198.51.100.8"},
		{"IPv4-mapped proxy", "[::ffff:127.0.0.1]:4000", map[string]string{"X-Forwarded-For": "198.51.100.9"}, "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if got := proxies.ClientIP(r); got != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
			host, _, _ := net.SplitHostPort(tt.peer)
			if got := (Proxies{}).ClientIP(r); got != netip.MustParseAddr(host).Unmap().String() {
				t.Errorf("with no trusted proxies ClientIP = %s, want the peer %s", got, host)
			}
		})
	}
}

func TestParseProxiesRefusesNonsense(t *testing.T) {
	for _, bad := range []string{"localhost", "10.0.0.0/33", "1.2.3", "::1/200"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
	if ps, err := ParseProxies(""); err != nil || len(ps) != 0 {
		t.Errorf("empty list: %v %v", ps, err)
	}
}

func TestHTTPSBehindProxy(t *testing.T) {
	proxies, _ := ParseProxies("127.0.0.1")
	tests := []struct {
		peer, header, value string
		tls                 bool
		want                bool
	}{
		{"127.0.0.1:1", "X-Forwarded-Proto", "https", false, true},
		{"127.0.0.1:1", "X-Forwarded-Proto", "http", false, false},
		{"127.0.0.1:1", "Forwarded", "for=1.2.3.4;proto=https", false, true},
		{"203.0.113.1:1", "X-Forwarded-Proto", "https", false, false}, // not a trusted proxy
		{"203.0.113.1:1", "", "", true, true},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = tt.peer
		if tt.header != "" {
			r.Header.Set(tt.header, tt.value)
		}
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := proxies.HTTPS(r); got != tt.want {
			t.Errorf("%s %s=%s: HTTPS = %v, want %v", tt.peer, tt.header, tt.value, got, tt.want)
		}
	}
}

// TestTrustedProxyThrottleAndCookie runs through the real router: behind a
// trusted proxy (the test client is 127.0.0.1) each person's typos lock
// their own address, not the proxy's; the Secure cookie follows the
// proxy's X-Forwarded-Proto. Without the setting the headers are ignored,
// so a client cannot invent a fresh address per guess.
func TestTrustedProxyThrottleAndCookie(t *testing.T) {
	app := newTestAppWith(t, Config{LoginLimit: 3, LoginWindow: time.Hour, TrustedProxies: Proxies{netip.MustParsePrefix("127.0.0.1/32")}})
	guess := func(c *client, from, password string) *response {
		return c.post("/login", url.Values{"username": {"admin"}, "password": {password}}, "X-Forwarded-For", from)
	}
	typist := app.anon()
	for range 3 {
		guess(typist, "198.51.100.1", "wrong")
	}
	if res := guess(typist, "198.51.100.1", testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the typist is not throttled: %d", res.StatusCode)
	}
	colleague := app.anon()
	res := colleague.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}},
		"X-Forwarded-For", "198.51.100.2", "X-Forwarded-Proto", "https")
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a colleague behind the same proxy is locked out: %d", res.StatusCode)
	}
	if ck := res.Header.Get("Set-Cookie"); !strings.Contains(ck, "Secure") {
		t.Errorf("cookie over https through the proxy is not Secure: %s", ck)
	}

	direct := newTestAppWith(t, Config{LoginLimit: 3, LoginWindow: time.Hour})
	spoofer := direct.anon()
	for i := range 3 {
		guess(spoofer, "192.0.2."+strconv.Itoa(i+1), "wrong")
	}
	if res := guess(spoofer, "192.0.2.9", testPassword); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("an invented X-Forwarded-For dodged the throttle: %d", res.StatusCode)
	}
	res = direct.anon().post("/login", url.Values{"username": {"admin"}, "password": {testPassword}}, "X-Forwarded-Proto", "https")
	if strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
		t.Error("an untrusted X-Forwarded-Proto made the cookie Secure")
	}
}
