package models

import "context"

// GenerateForTests fills a test database with generated data. The
// generator lives in package demo, which imports models, so an internal
// test cannot call it; demo_hook_test.go (package models_test, compiled into
// the same test binary) sets this at init.
var GenerateForTests func(ctx context.Context, db *DB, opt GenOptions) error

// GenOptions is the part of demo.Options the model tests use.
type GenOptions struct {
	Customers, Prospects, Sales int
	Seed                        uint64
	Activities, Plans           int
}
