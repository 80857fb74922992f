//go:build sqlite_fts5

package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// An SQLite FTS5 table with the trigram tokenizer over the same documents as
// the search index. It exists only for the search benchmark, to compare
// Bleve with what SQLite offers built in (build with -tags sqlite_fts5).

// BuildFTS5 creates and fills the comparison table unless it is there.
func (db *DB) BuildFTS5(ctx context.Context) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'bench_fts'`).Scan(&n)
	if err != nil || n > 0 {
		if err == nil {
			err = db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM bench_fts`).Scan(&n)
		}
		return n, err
	}
	if _, err := db.Write.ExecContext(ctx, `CREATE VIRTUAL TABLE bench_fts USING fts5(kind UNINDEXED, ref UNINDEXED, title, body,
		tokenize = 'trigram')`); err != nil {
		return 0, err
	}
	total := 0
	for _, kind := range SearchKinds {
		var after int64
		for {
			var docs []SearchDoc
			if err := db.EachSearchDoc(ctx, kind, after, 5000, func(d SearchDoc) error {
				docs = append(docs, d)
				after = d.ID
				return nil
			}); err != nil {
				return total, err
			}
			if len(docs) == 0 {
				break
			}
			err := db.WithTx(ctx, func(tx *sql.Tx) error {
				st, err := tx.PrepareContext(ctx, `INSERT INTO bench_fts (kind, ref, title, body) VALUES (?, ?, ?, ?)`)
				if err != nil {
					return err
				}
				defer st.Close()
				for _, d := range docs {
					if _, err := st.ExecContext(ctx, d.Kind, d.ID, d.Title, d.Text+" "+strings.Join(d.Keys, " ")); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			total += len(docs)
		}
	}
	return total, nil
}

// FTS5Hit is one row of a comparison search.
type FTS5Hit struct {
	Kind    string
	Ref     int64
	Title   string
	Snippet string
}

// SearchFTS5 runs an FTS5 MATCH over the comparison table, best first by
// bm25, with highlighted snippets: the same work as a first page in Bleve.
// words are OR-ed, each quoted so no FTS5 syntax gets through.
func (db *DB) SearchFTS5(ctx context.Context, words []string, limit int) ([]FTS5Hit, error) {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT kind, ref, highlight(bench_fts, 2, '<mark>', '</mark>'),
		snippet(bench_fts, 3, '<mark>', '</mark>', '…', 24) FROM bench_fts WHERE bench_fts MATCH ? ORDER BY rank LIMIT ?`,
		strings.Join(quoted, " OR "), limit)
	if err != nil {
		return nil, fmt.Errorf("fts5 search: %w", err)
	}
	defer rows.Close()
	var out []FTS5Hit
	for rows.Next() {
		var h FTS5Hit
		if err := rows.Scan(&h.Kind, &h.Ref, &h.Title, &h.Snippet); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
