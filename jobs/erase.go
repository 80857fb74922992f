package jobs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// EraseMailFiles removes the .eml files under dir that hold any of the
// erased addresses (mail written without SMTP, or kept as a copy), and
// returns how many went. A missing folder is nothing to do.
func EraseMailFiles(dir string, emails []string) (int, error) {
	if len(emails) == 0 {
		return 0, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return n, err
		}
		low := bytes.ToLower(b)
		for _, e := range emails {
			if e != "" && bytes.Contains(low, []byte(strings.ToLower(e))) {
				if err := os.Remove(f); err != nil {
					return n, err
				}
				n++
				break
			}
		}
	}
	return n, nil
}
