package jobs

import (
	"fmt"
	"strconv"
	"strings"

	"keyuan/backup"
)

// BackupJob is the name of the nightly backup on /admin/jobs, in its run
// history (which the backup page and the managers' digest read) and in
// --jobs-off.
const BackupJob = "backup"

// DefaultBackupAt is when the nightly backup runs, in business time: after
// the day's work, before the early risers.
const DefaultBackupAt = "02:30"

// BackupJobs is the nightly backup at the local time at ("HH:MM"). The
// scheduler never runs it beside itself, and the backup lock keeps it
// apart from `keyuan backup` on the command line.
func BackupJobs(svc *backup.Service, at string) ([]Job, error) {
	spec, err := BackupSchedule(at)
	if err != nil {
		return nil, err
	}
	return []Job{{Name: BackupJob, Schedule: spec, Run: svc.Run}}, nil
}

// BackupSchedule turns a time of day ("02:30") into a daily cron spec.
func BackupSchedule(at string) (string, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(at), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 || len(m) != 2 {
		return "", fmt.Errorf("backup time %q: want HH:MM, e.g. %s", at, DefaultBackupAt)
	}
	return fmt.Sprintf("%d %d * * *", minute, hour), nil
}
