package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"keyuan/models"
)

// Parts of synthetic service texts: a device, what goes wrong with it and
// what fixes it. Combined they give believable, varied articles and issues
// in Chinese and, for one in ten, in English.
var (
	genDevices   = []string{"打印机", "复印机", "扫描仪", "投影仪", "路由器", "交换机", "收银机", "考勤机", "门禁", "监控摄像头", "笔记本电脑", "台式机", "显示器", "服务器", "硬盘录像机", "电话机", "传真机", "空调", "饮水机", "条码枪", "小票打印机", "无线AP", "手机App", "客户端软件", "财务软件", "邮箱", "会员系统", "网站后台", "数据库", "备份软件"}
	genFaults    = []string{"无法开机", "频繁死机", "提示错误代码", "连接不上网络", "速度很慢", "有异响", "显示乱码", "数据不同步", "无法登录", "打印模糊", "卡纸", "自动重启", "画面闪烁", "信号弱", "没有反应", "报警", "漏水", "过热", "升级失败", "无法保存"}
	genContexts  = []string{"每天上午", "更换位置以后", "升级之后", "停电恢复后", "多人同时使用时", "刚安装好", "使用一年多以后", "下雨天", "月底结账时", "连接新电脑后"}
	genSteps     = []string{"重启设备并观察是否恢复", "检查电源线和网线是否插紧", "升级到最新版本的固件或软件", "清理设备内部灰尘", "恢复出厂设置后重新配置", "更换同型号配件测试", "检查网络地址和端口设置", "清除缓存并重新登录", "联系厂家售后申请保修", "安排工程师上门检修", "查看系统日志定位错误", "降低同时连接的用户数"}
	genEnDevices = []string{"printer", "router", "laptop", "projector", "scanner", "server", "barcode scanner", "POS terminal", "mail client", "backup job"}
	genEnFaults  = []string{"will not start", "keeps restarting", "shows an error code", "cannot connect", "is very slow", "makes a noise", "loses data", "fails to update"}
	genEnSteps   = []string{"restart the device", "check the cables", "update the firmware", "reset to factory settings", "replace the part", "check the logs", "call the vendor's support line"}
)

// generateService adds the seed knowledge base, Articles synthetic articles
// and Issues issues spread over the customers, in batches.
func generateService(ctx context.Context, db *models.DB, rng *rand.Rand, opt Options) error {
	types, err := db.AuxItemsOf(ctx, "issue_type")
	if err != nil {
		return err
	}
	typeByCode := map[string]int64{}
	var typeIDs []int64
	for _, t := range types {
		typeByCode[t.Code] = t.ID
		typeIDs = append(typeIDs, t.ID)
	}
	staff, err := db.UserIDsWith(ctx, models.PermServiceEdit)
	if err != nil {
		return err
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 5000
	// Seed articles first, so they keep low, stable numbers.
	n := len(SeedArticles) + opt.Articles
	for start := 0; start < n; start += batch {
		end := min(n, start+batch)
		err := db.WithBulk(ctx, func(b *models.Bulk) error {
			codes, err := b.Numbers("article", end-start)
			if err != nil {
				return err
			}
			for i := start; i < end; i++ {
				var a SeedArticle
				if i < len(SeedArticles) {
					a = SeedArticles[i]
				} else {
					a = syntheticArticle(rng)
				}
				at := stamp(base.Add(time.Duration(rng.IntN(600*24)) * time.Hour))
				cat := typeByCode[a.Category]
				if cat == 0 {
					cat = pick(rng, typeIDs)
					if i >= len(SeedArticles) && typeByCode["FAULT"] != 0 {
						// A synthetic article is a device fault (the draw
						// above stays, so a seed still gives the same data).
						cat = typeByCode["FAULT"]
					}
				}
				art := models.Article{Code: codes(i - start), Title: a.Title, Symptom: a.Symptom, Solution: a.Solution,
					CategoryID: cat, Keywords: a.Keywords, CreatedAt: at, UpdatedAt: at}
				art.Views = rng.IntN(500)
				art.Helped = rng.IntN(60)
				if err := b.Article(&art); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("generate articles: %w", err)
		}
	}
	var customers []int64
	if opt.Issues > 0 {
		if customers, _, err = db.CustomerOwners(ctx, "customer"); err != nil {
			return err
		}
		if len(customers) == 0 {
			return fmt.Errorf("generate issues: no customers")
		}
	}
	statuses := []string{"new", "handling", "resolved", "resolved", "archived", "closed"}
	for start := 0; start < opt.Issues; start += batch {
		end := min(opt.Issues, start+batch)
		err := db.WithBulk(ctx, func(b *models.Bulk) error {
			codes, err := b.Numbers("issue", end-start)
			if err != nil {
				return err
			}
			for i := range end - start {
				a := syntheticArticle(rng)
				reported := base.Add(time.Duration(rng.IntN(600*24*60)) * time.Minute)
				iss := models.Issue{Code: codes(i), Priority: pick(rng, models.IssuePriorities), Subject: a.Title, Description: a.Symptom}
				iss.Status = pick(rng, statuses)
				if len(staff) > 0 && rng.IntN(4) > 0 {
					iss.AssigneeID = pick(rng, staff)
				}
				if iss.Status == "resolved" || iss.Status == "archived" || iss.Status == "closed" {
					iss.ResolvedAt = stamp(reported.Add(time.Duration(1+rng.IntN(96)) * time.Hour))
				}
				if opt.HistoryDays > 0 {
					// The demo's last months: open issues came in over the
					// last two days, the others over the whole period.
					until := opt.Until
					if until.IsZero() {
						until = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
					}
					span := opt.HistoryDays * 24 * 60
					if iss.ResolvedAt == "" {
						span = 2 * 24 * 60
					}
					reported = until.Add(-time.Duration(1+rng.IntN(span)) * time.Minute)
					if iss.ResolvedAt != "" {
						resolved := reported.Add(time.Duration(1+rng.IntN(96)) * time.Hour)
						if resolved.After(until) {
							resolved = until
						}
						iss.ResolvedAt = stamp(resolved)
					}
					if iss.Code, err = b.NumberOn("issue", reported); err != nil {
						return err
					}
				}
				iss.ReportedAt = stamp(reported)
				iss.CustomerID = pick(rng, customers)
				iss.Channel = pick(rng, models.IssueChannels)
				iss.TypeID = pick(rng, typeIDs)
				if typeByCode["FAULT"] != 0 {
					// Every synthetic issue is a device fault (the draw
					// above stays, so a seed still gives the same data).
					iss.TypeID = typeByCode["FAULT"]
				}
				id, err := b.Issue(&iss)
				if err != nil {
					return err
				}
				if iss.ResolvedAt != "" && iss.AssigneeID != 0 {
					h := models.Handling{IssueID: id, HandledOn: reported.Format("2006-01-02"), HandlerID: iss.AssigneeID,
						Content: a.Solution, Result: "已解决"}
					if err := b.Handling(&h, iss.ReportedAt); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("generate issues: %w", err)
		}
	}
	return nil
}

func syntheticArticle(rng *rand.Rand) SeedArticle {
	if rng.IntN(10) == 0 {
		dev, fault := pick(rng, genEnDevices), pick(rng, genEnFaults)
		steps := []string{pick(rng, genEnSteps), pick(rng, genEnSteps), pick(rng, genEnSteps)}
		return SeedArticle{
			Title:    fmt.Sprintf("The %s %s", dev, fault),
			Symptom:  fmt.Sprintf("Since this week the %s %s, and users cannot work normally.", dev, fault),
			Solution: "1. " + strings.Join(steps, "\n2. ") + ".",
			Keywords: dev + " " + strings.Fields(fault)[0],
		}
	}
	dev, fault, when := pick(rng, genDevices), pick(rng, genFaults), pick(rng, genContexts)
	var sol strings.Builder
	for i := range 3 + rng.IntN(3) {
		fmt.Fprintf(&sol, "%d. %s。\n", i+1, pick(rng, genSteps))
	}
	return SeedArticle{
		Title:    dev + fault + pick(rng, []string{"怎么办", "的处理方法", "", "如何解决", "问题"}),
		Symptom:  fmt.Sprintf("客户反映%s%s%s，影响正常使用，%s。", when, dev, fault, pick(rng, []string{"已经持续两天", "重启后仍然存在", "多台设备都有", "偶尔出现"})),
		Solution: sol.String(),
		Keywords: dev + " " + fault,
	}
}
