package jobs

import (
	"strings"
	"testing"
)

func TestBackupSchedule(t *testing.T) {
	for at, want := range map[string]string{"02:30": "30 2 * * *", "23:05": "5 23 * * *", " 0:00 ": "0 0 * * *"} {
		if got, err := BackupSchedule(at); err != nil || got != want {
			t.Errorf("BackupSchedule(%q) = %q, %v; want %q", at, got, err, want)
		}
	}
	for _, at := range []string{"", "2:3", "24:00", "02:60", "0230", "02:30:00", "两点半", "-1:30"} {
		if _, err := BackupSchedule(at); err == nil || !strings.Contains(err.Error(), "HH:MM") {
			t.Errorf("BackupSchedule(%q): %v, want a clear refusal", at, err)
		}
	}
}
