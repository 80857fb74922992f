package handlers

// The supervisor's customer list (issue 16): a supervisor of a 20-person
// team among 100 salespeople and 100,000 customers, against one
// salesperson's list of the same data. Run with
//
//	go test ./handlers -run '^$' -bench TeamCustomerList -benchtime 200x -count 5

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"keyuan/demo"
	"keyuan/models"
)

var teamBench struct {
	once     sync.Once
	app      *benchApp
	sup, one string // the supervisor's and one member's session cookies
	dir      string
	err      error
}

// loadTeamBench generates the data set once per process: 100 salespeople,
// 100,000 customers, a team of the first 20 salespeople led by "sup".
func loadTeamBench(b *testing.B) *benchApp {
	b.Helper()
	teamBench.once.Do(func() {
		teamBench.err = func() error {
			dir, err := os.MkdirTemp("", "keyuan-bench-teams-")
			if err != nil {
				return err
			}
			teamBench.dir = dir
			ctx := context.Background()
			db, err := models.Open(ctx, filepath.Join(dir, "keyuan.db"))
			if err != nil {
				return err
			}
			if err := db.SeedDefaults(ctx); err != nil {
				return err
			}
			if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
				return err
			}
			start := time.Now()
			if err := demo.Generate(ctx, db, demo.Options{Customers: benchCustomers, Sales: 100, Seed: 1, Password: testPassword}); err != nil {
				return err
			}
			b.Logf("generated %d customers for 100 salespeople in %s", benchCustomers, time.Since(start).Round(time.Millisecond))
			sup, err := db.CreateUser(ctx, 0, models.NewUser{Username: "sup", DisplayName: "主管", Role: models.RoleSupervisor,
				Password: testPassword})
			if err != nil {
				return err
			}
			users, err := db.Users(ctx)
			if err != nil {
				return err
			}
			var sales []int64
			for _, u := range users {
				if u.Role == models.RoleSales {
					sales = append(sales, u.ID)
				}
			}
			slices.Sort(sales)
			if len(sales) != 100 {
				return fmt.Errorf("%d salespeople, want 100", len(sales))
			}
			team := models.Team{Name: "销售一部", SupervisorID: sup, MemberIDs: sales[:20]}
			if err := db.SaveTeam(ctx, 0, &team); err != nil {
				return err
			}
			a, err := newLoggedInApp(db)
			if err != nil {
				return err
			}
			member, err := db.UserByID(ctx, sales[0])
			if err != nil {
				return err
			}
			if teamBench.sup, err = loginCookie(a.handler, "sup", testPassword); err != nil {
				return err
			}
			if teamBench.one, err = loginCookie(a.handler, member.Username, testPassword); err != nil {
				return err
			}
			teamBench.app = a
			return nil
		}()
	})
	if teamBench.err != nil {
		b.Fatal(teamBench.err)
	}
	return teamBench.app
}

// BenchmarkTeamCustomerList measures the customer list (first page, by name,
// and the default order) for one salesperson and for the supervisor of 20,
// each request back to back in one loop, and reports the ratio.
func BenchmarkTeamCustomerList(b *testing.B) {
	a := loadTeamBench(b)
	for _, target := range []struct{ name, path string }{
		{"default", "/customers"},
		{"by_name", "/customers?sort=name"},
		{"by_activity_desc", "/customers?sort=activity&dir=desc"},
	} {
		b.Run(target.name, func(b *testing.B) {
			get := func(cookie string) {
				rec := a.getAs(target.path, cookie)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
			var one, sup time.Duration
			for b.Loop() {
				t0 := time.Now()
				get(teamBench.one)
				t1 := time.Now()
				get(teamBench.sup)
				one, sup = one+t1.Sub(t0), sup+time.Since(t1)
			}
			b.ReportMetric(float64(one.Nanoseconds())/float64(b.N), "salesperson-ns/op")
			b.ReportMetric(float64(sup.Nanoseconds())/float64(b.N), "supervisor-ns/op")
			b.ReportMetric(float64(sup)/float64(one), "supervisor/salesperson")
		})
	}
}
