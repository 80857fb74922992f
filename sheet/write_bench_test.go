package sheet

import (
	"fmt"
	"io"
	"testing"
)

// BenchmarkWriteXLSX100k writes a 100,000-row export of ten text and number
// columns, the shape of a customer list export.
func BenchmarkWriteXLSX100k(b *testing.B) {
	for b.Loop() {
		w, err := NewWriter(io.Discard, XLSX, "客户")
		if err != nil {
			b.Fatal(err)
		}
		if err := w.WriteRow("编号", "名称", "行业", "地区", "电话", "邮箱", "业务员", "最后活动", "数量", "备注"); err != nil {
			b.Fatal(err)
		}
		for i := range 100_000 {
			if err := w.WriteValues(fmt.Sprintf("KH2026%06d", i), "上海宏达机电设备有限公司", "制造业", "华东",
				"021-55550101", "info@example.com", "张伟", "2026-11-30", i, "重点客户，年底回访"); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
