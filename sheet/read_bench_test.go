package sheet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReadXLSX100k reads every row of a 100,000-row customer sheet,
// as the import job does.
func BenchmarkReadXLSX100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.xlsx")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewWriter(out, XLSX, "客户")
	if err != nil {
		b.Fatal(err)
	}
	if err := w.WriteRow("客户名称", "地区", "行业", "电话", "邮箱", "联系人", "手机"); err != nil {
		b.Fatal(err)
	}
	for i := range 100_000 {
		if err := w.WriteValues(fmt.Sprintf("上海宏达机电设备%06d有限公司", i), "华东", "制造业", "021-55550101",
			"info@example.com", "张伟", 13800138000+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	out.Close()
	b.ResetTimer()
	for b.Loop() {
		r, err := Open(path, XLSX, "", DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		r.Close()
		if n != 100_000 {
			b.Fatalf("%d rows", n)
		}
	}
}
