package jobs

import (
	"context"
	"errors"
	"io"

	"keyuan/models"
	"keyuan/sheet"
)

// Stage parses the job's upload (its sheet, for XLSX) once, into the
// database: every non-blank line, those above the header included. The
// mapping step, the preview and the run read the staged lines, so a page view
// never parses the file again; the file's limits are checked here, while
// streaming. It sets the job's header (found below title rows), header line
// and merged-cell count, and guesses the mapping afresh.
func Stage(ctx context.Context, db *models.DB, actor models.Actor, job *models.ImportJob) error {
	r, err := sheet.Open(job.Path, sheet.Format(job.Format), job.Sheet, sheet.DefaultLimits)
	if err != nil {
		return err
	}
	defer r.Close()
	job.Sheet, job.Sheets, job.Encoding = r.Sheet, r.Sheets, r.Encoding
	job.Header, job.HeaderLine = r.Header(), r.HeaderLine
	job.Mapping = models.GuessMapping(job.Kind, job.Header)

	above := r.Candidates // the lines up to the header, then Next's
	err = db.StageImportRows(ctx, actor, job, func() (models.StagedLine, bool, error) {
		for len(above) > 0 {
			l := above[0]
			above = above[1:]
			if l.Line <= r.HeaderLine {
				return models.StagedLine{Line: l.Line, Cells: l.Cells}, true, nil
			}
		}
		if err := ctx.Err(); err != nil {
			return models.StagedLine{}, false, err
		}
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			job.MergedCells = r.Merged // saved with the job below
			return models.StagedLine{}, false, nil
		}
		if err != nil {
			return models.StagedLine{}, false, err
		}
		return models.StagedLine{Line: r.Line(), Cells: row}, true, nil
	})
	return err
}

// ChooseHeaderLine makes staged line n the header of the job: the columns
// are named from it and the mapping guessed again. ok is false when n is not
// a staged line.
func ChooseHeaderLine(ctx context.Context, db *models.DB, job *models.ImportJob, n int) (ok bool, err error) {
	first, err := db.FirstStagedLines(ctx, job.ID, 64)
	if err != nil {
		return false, err
	}
	width := 0
	var header []string
	for _, l := range first {
		width = max(width, len(l.Cells))
		if l.Line == n {
			header = l.Cells
		}
	}
	if header == nil {
		return false, nil
	}
	job.HeaderLine = n
	job.Header = sheet.ColumnNames(header, width)
	job.Mapping = models.GuessMapping(job.Kind, job.Header)
	return true, nil
}
