package handlers

import (
	"container/list"
	"net"
	"strings"
	"sync"
	"time"
)

// loginThrottle counts failed password checks (logins, and the current
// password on the profile page) in a sliding window, under two keys:
//
//   - an account from one source (the client's IP; for IPv6 its /64, which
//     one household or office gets as a whole): after limit failures that
//     account is locked from that source until the window has passed.
//     Another account's success never clears it, and colleagues behind the
//     same office NAT are not locked out by one person's typos.
//   - a source for all accounts: a much higher limit (sourceFactor × limit)
//     stops one address from guessing across many accounts.
//
// Memory is bounded: at most maxKeys keys, the least recently used go first,
// so spraying addresses evicts old entries instead of resetting everyone.
type loginThrottle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	keys   map[string]*list.Element
	lru    *list.List // of *throttleEntry, most recent at the front
	max    int
}

type throttleEntry struct {
	key   string
	fails []time.Time
}

const (
	sourceFactor   = 10
	maxThrottleKey = 100_000
)

func newLoginThrottle(limit int, window time.Duration, now func() time.Time) *loginThrottle {
	return &loginThrottle{limit: limit, window: window, now: now, keys: map[string]*list.Element{}, lru: list.New(),
		max: maxThrottleKey}
}

// sourceKey is the client address a limit applies to: the IPv4 address, or
// the /64 of an IPv6 address.
func sourceKey(ip string) string {
	p := net.ParseIP(ip)
	if p == nil {
		return ip
	}
	if p.To4() != nil {
		return p.String()
	}
	return p.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

func pairKey(account, ip string) string {
	return "a:" + strings.ToLower(account) + "|" + sourceKey(ip)
}

func srcKey(ip string) string { return "s:" + sourceKey(ip) }

// count returns the recent failures under key, dropping old ones.
func (t *loginThrottle) count(key string, now time.Time) int {
	el, ok := t.keys[key]
	if !ok {
		return 0
	}
	e := el.Value.(*throttleEntry)
	kept := e.fails[:0]
	for _, at := range e.fails {
		if now.Sub(at) < t.window {
			kept = append(kept, at)
		}
	}
	e.fails = kept
	if len(kept) == 0 {
		t.lru.Remove(el)
		delete(t.keys, key)
	}
	return len(kept)
}

// blocked reports whether account may not try a password from ip now.
func (t *loginThrottle) blocked(account, ip string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	return t.count(pairKey(account, ip), now) >= t.limit || t.count(srcKey(ip), now) >= t.limit*sourceFactor
}

// fail records a wrong password for account from ip.
func (t *loginThrottle) fail(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, key := range []string{pairKey(account, ip), srcKey(ip)} {
		el, ok := t.keys[key]
		if !ok {
			el = t.lru.PushFront(&throttleEntry{key: key})
			t.keys[key] = el
		}
		t.lru.MoveToFront(el)
		e := el.Value.(*throttleEntry)
		e.fails = append(e.fails, now)
	}
	for len(t.keys) > t.max {
		oldest := t.lru.Back()
		t.lru.Remove(oldest)
		delete(t.keys, oldest.Value.(*throttleEntry).key)
	}
}

// succeed forgets the failures of this account from this source only.
func (t *loginThrottle) succeed(account, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.keys[pairKey(account, ip)]; ok {
		t.lru.Remove(el)
		delete(t.keys, pairKey(account, ip))
	}
}
