package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/backup"
	"keyuan/jobs"
	"keyuan/models"
)

// Backups (基础设置 → 数据备份, admin only): the archives with size and
// time, the runs of the backup job with their results, "back up now" with
// progress, download, delete, the free space, and a warning when the last
// good backup is old.

// staleBackup is the age of the newest backup past which the page warns.
const staleBackup = 48 * time.Hour

type backupRow struct {
	Name string
	Time string // RFC 3339, shown in business time by the template
	Size string
}

type backupsData struct {
	Archives []backupRow
	Runs     []models.JobRun
	Running  bool
	// Poll keeps the page polling: a run is on, or was just asked for and
	// has not started yet.
	Poll     bool
	Progress backup.Progress
	Percent  int
	// Stale: no backup yet, or the newest is older than staleBackup.
	Stale    bool
	LastGood string
	DiskFree string
	DiskLow  bool
	Dir      string
	CopyTo   string
	KeepDays int
	Next     string
	CanRun   bool
}

func (s *Server) backupsPage(c *gin.Context) {
	ctx := c.Request.Context()
	cfg := s.backups.Config()
	data := &backupsData{Dir: cfg.Dir, CopyTo: cfg.CopyTo, KeepDays: cfg.KeepDays}
	list, err := s.backups.List()
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, a := range list {
		data.Archives = append(data.Archives, backupRow{Name: a.Name, Time: a.Time.Format(time.RFC3339), Size: a.SizeText()})
	}
	data.Stale = len(list) == 0 || s.db.Now().Sub(list[0].Time) > staleBackup
	if len(list) > 0 {
		data.LastGood = list[0].Time.Format(time.RFC3339)
	}
	if data.Runs, err = s.db.JobRuns(ctx, jobs.BackupJob, 10); err != nil {
		s.fail(c, err)
		return
	}
	if s.jobs != nil && s.jobs.Has(jobs.BackupJob) {
		data.CanRun = true
		infos, err := s.jobs.Jobs(ctx)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, j := range infos {
			if j.Name == jobs.BackupJob {
				data.Running = data.Running || j.Running
				if j.Enabled && !j.Next.IsZero() {
					data.Next = j.Next.UTC().Format(time.RFC3339)
				}
			}
		}
	}
	p, running := s.backups.Progress()
	data.Running = data.Running || running
	data.Progress = p
	if p.Total > 0 {
		data.Percent = int(p.Done * 100 / p.Total)
	}
	data.Poll = data.Running || c.Query("started") == "1"
	if free, err := s.backups.FreeSpace(); err == nil {
		data.DiskFree, data.DiskLow = backup.SizeText(int64(free)), free < lowDiskWarning
	}
	pg := s.newPage(c, s.t(c, "backup.title"), "backups", data)
	s.renderTargeted(c, http.StatusOK, "admin/backups", pg, "backups", "backups")
}

// runBackup starts a backup now, through the scheduler, so that it is
// recorded like the nightly one and never runs beside it.
func (s *Server) runBackup(c *gin.Context) {
	if s.jobs == nil || !s.jobs.Has(jobs.BackupJob) {
		s.notFound(c)
		return
	}
	if _, running := s.backups.Progress(); running {
		s.flash(c, "backup.already_running")
		redirect(c, "/admin/backups")
		return
	}
	err := s.jobs.RunNow(jobs.BackupJob)
	switch {
	case errors.Is(err, jobs.ErrRunning):
		s.flash(c, "backup.already_running")
	case err != nil:
		s.fail(c, err)
		return
	default:
		s.flash(c, "backup.started")
	}
	redirect(c, "/admin/backups?started=1")
}

// downloadBackup streams an archive (http.ServeContent: ranges, so a broken
// download can resume). A backup can take longer than the server's write
// timeout to send, so this response has none.
func (s *Server) downloadBackup(c *gin.Context) {
	path, err := s.backups.Path(c.Param("name"))
	if err != nil {
		s.notFound(c)
		return
	}
	if err := http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{}); err != nil {
		s.log.Debug("backup download keeps the write timeout", "err", err)
	}
	c.Header("Content-Type", "application/gzip")
	c.FileAttachment(path, c.Param("name"))
}

func (s *Server) deleteBackup(c *gin.Context) {
	err := s.backups.Delete(c.Param("name"))
	if errors.Is(err, backup.ErrNoArchive) {
		s.notFound(c)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "backup.deleted")
	redirect(c, "/admin/backups")
}
