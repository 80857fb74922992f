package handlers

// The API's speed (issue 14): GET one customer and a list of 50 over the
// API, against the trivial handler and the HTML list page of the same 50
// customers, 16 concurrent clients over real loopback HTTP, on the 100,000
// customers of bench_test.go. Run:
//
//	go test ./handlers -run '^$' -bench APILoad -benchtime 3s -count 3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"keyuan/models"
)

func BenchmarkAPILoad(b *testing.B) {
	a := loadBenchApp(b)
	ctx := context.Background()
	// The per-token limit would turn the benchmark into a test of the
	// limit: lift it for this server.
	a.srv.apiLimiter = newRateLimiter(1e9, 1<<30)
	_, secret, err := a.db.CreateAPIToken(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, models.NewAPIToken{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	var one int64
	if err := a.db.Read.QueryRow(`SELECT id FROM customers WHERE kind = 'customer' ORDER BY id LIMIT 1 OFFSET 5000`).Scan(&one); err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(a.handler)
	defer ts.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ind := fmt.Sprint(a.industry)
	cases := []struct {
		name, target, auth, want string
	}{
		{"trivial", "/static/logo.svg", "", "<svg"},
		{"api_get_one", fmt.Sprintf("/api/v1/customers/%d", one), "Bearer " + secret, `"id":`},
		{"api_list50", "/api/v1/customers?industry=" + ind + "&sort=name&limit=50", "Bearer " + secret, `"next_cursor":"`},
		{"html_list50", "/customers?industry=" + ind + "&sort=name", "", `name="id"`},
	}
	for _, tc := range cases {
		get := func() (int, string) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tc.target, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			} else {
				req.Header.Set("Cookie", a.cookie)
			}
			res, err := client.Do(req)
			if err != nil {
				return 0, err.Error()
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(body)
		}
		b.Run(tc.name, func(b *testing.B) {
			if st, body := get(); st != http.StatusOK || !strings.Contains(body, tc.want) {
				b.Fatalf("%s: %d %.200s", tc.target, st, body)
			}
			if tc.name == "api_list50" {
				if st, body := get(); st != http.StatusOK || strings.Count(body, `"owner_name"`) != 50 {
					b.Fatalf("%s: %d, not 50 rows", tc.target, st)
				}
			}
			// RunParallel starts parallelism × GOMAXPROCS clients: 16 in all.
			b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if st, _ := get(); st != http.StatusOK {
						b.Errorf("status %d", st)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
