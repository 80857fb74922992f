package models_test

import (
	"context"

	"keyuan/demo"
	"keyuan/models"
)

func init() {
	models.GenerateForTests = func(ctx context.Context, db *models.DB, o models.GenOptions) error {
		return demo.Generate(ctx, db, demo.Options{Customers: o.Customers, Prospects: o.Prospects, Sales: o.Sales, Seed: o.Seed,
			Activities: o.Activities, Plans: o.Plans})
	}
}
