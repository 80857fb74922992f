package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"keyuan/models"
)

// Generated activity records span activityYears before Options.Until;
// generated plans run from a month before it to two months after.
const activityYears = 3

var (
	genCompetitors = []struct{ name, strengths, weaknesses string }{
		{"华腾科技", "价格低，交货快", "售后服务网点少"}, {"金石软件", "品牌知名度高", "报价偏高，定制慢"},
		{"远大集团", "产品线齐全", "决策流程长"}, {"恒信设备", "本地服务团队强", "技术更新慢"},
		{"博联信息", "行业案例多", "实施周期长"}, {"新达贸易", "渠道覆盖广", "产品质量不稳定"},
		{"天元机电", "技术实力强", "价格缺乏弹性"}, {"中科创新", "研发投入大", "市场团队小"},
	}
	genSubjects = []string{"电话沟通采购需求", "上门拜访，介绍新产品", "发送报价单", "商务谈判价格", "微信跟进项目进度",
		"参加产品演示", "回访使用情况", "确认合同条款", "邀请参加新品发布会", "了解年度预算", "技术交流", "催收货款"}
	genContents = []string{"客户对新产品很感兴趣，要求下周提供详细方案。", "对价格有顾虑，希望再优惠5%。",
		"决策人出差，约定下次再谈。", "已确认需求，准备报价。", "客户反馈使用顺利，有增购意向。",
		"竞争对手也在接触，需加快进度。", "合同条款基本达成一致。", ""}
	genNext  = []string{"回访报价", "送样品", "签订合同", "安排技术演示", "确认交货时间", "拜访决策人"}
	genDeals = []string{"年度设备采购", "办公系统升级", "新厂房配套", "耗材年度框架协议", "售后服务续约", "试点项目", "二期扩容"}
)

// genCust is a customer and its owner, for spreading generated records.
type genCust struct{ id, owner int64 }

// generateActivities adds competitors, opt.Activities activity records
// (about one in ten with a next activity and its plan) and opt.Plans more
// plans, for the customers already generated, then writes each customer's
// latest activity back. Numbers are allocated in blocks per transaction.
func generateActivities(ctx context.Context, db *models.DB, rng *rand.Rand, opt Options) error {
	if opt.Activities == 0 && opt.Plans == 0 && opt.Opportunities == 0 {
		return nil
	}
	until := opt.Until
	if until.IsZero() {
		until = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	}
	var competitors []int64
	err := db.WithBulk(ctx, func(b *models.Bulk) error {
		for _, c := range genCompetitors {
			id, err := b.Competitor(c.name, c.strengths, c.weaknesses)
			if err != nil {
				return err
			}
			competitors = append(competitors, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	ids, owners, err := db.CustomerOwners(ctx, "")
	if err != nil {
		return err
	}
	custs := make([]genCust, len(ids))
	for i := range ids {
		custs[i] = genCust{ids[i], owners[i]}
	}
	if len(custs) == 0 {
		return fmt.Errorf("generate: no customers to record activities for")
	}
	methods, stages := []int64{}, []int64{}
	for typ, dst := range map[string]*[]int64{"activity_method": &methods, "sales_stage": &stages} {
		items, err := db.AuxItemsOf(ctx, typ)
		if err != nil {
			return err
		}
		for _, it := range items {
			*dst = append(*dst, it.ID)
		}
	}
	days := activityYears * 365
	if opt.HistoryDays > 0 {
		days = opt.HistoryDays
	}
	first := until.AddDate(0, 0, -days)
	clock := func() (string, string) {
		m := 8*60 + 30*rng.IntN(20)
		e := m + 30*(1+rng.IntN(3))
		return fmt.Sprintf("%02d:%02d", m/60, m%60), fmt.Sprintf("%02d:%02d", e/60, e%60)
	}
	const batch = 20000
	for start := 0; start < opt.Activities; start += batch {
		n := min(batch, opt.Activities-start)
		err := db.WithBulk(ctx, func(b *models.Bulk) error {
			codes, err := b.NumberList("activity", n)
			if err != nil {
				return err
			}
			for i := range n {
				c := custs[rng.IntN(len(custs))]
				date := first.AddDate(0, 0, rng.IntN(days+1))
				a := models.Activity{Code: codes[i], Date: date.Format("2006-01-02"), OwnerID: c.owner, CustomerID: c.id}
				if opt.HistoryDays > 0 {
					// The demo numbers a record by its own date (the
					// benchmarks keep one block of numbers: it is faster).
					if a.Code, err = b.NumberOn("activity", date); err != nil {
						return err
					}
				}
				a.StartTime, a.EndTime = clock()
				a.MethodID, a.StageID = pick(rng, methods), pick(rng, stages)
				hasNext := rng.IntN(10) == 0
				if hasNext {
					a.NextSubject, a.NextTime = pick(rng, genNext), fmt.Sprintf("%02d:00", 9+rng.IntN(8))
					a.NextDate = date.AddDate(0, 0, 1+rng.IntN(14)).Format("2006-01-02")
				}
				a.Subject = pick(rng, genSubjects)
				a.Content = pick(rng, genContents)
				id, err := b.Activity(&a)
				if err != nil {
					return err
				}
				if rng.IntN(10) == 0 {
					if err := b.Mention(id, pick(rng, competitors), pick(rng, []string{"", "报价更低", "在试用", "客户比较满意"})); err != nil {
						return err
					}
				}
				if hasNext {
					code, err := b.NextNumber("plan")
					if opt.HistoryDays > 0 {
						code, err = b.NumberOn("plan", date) // made by the record, on its day
					}
					if err != nil {
						return err
					}
					p := models.Plan{Code: code, Date: a.NextDate, Time: a.NextTime, OwnerID: c.owner, CustomerID: c.id,
						MethodID: a.MethodID, Subject: a.NextSubject, Status: "done", Origin: "activity", SourceActivityID: id,
						RemindMinutes: 15}
					if a.NextDate >= until.Format("2006-01-02") {
						p.Status = "planned"
					}
					if err := b.Plan(&p, false); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := generatePlans(ctx, db, rng, opt.Plans, until, opt.HistoryDays > 0, custs, methods); err != nil {
		return err
	}
	if err := generateOpportunities(ctx, db, rng, opt.Opportunities, until, custs, stages); err != nil {
		return err
	}
	return db.RefreshLastActivities(ctx)
}

// generatePlans adds n manual and batch plans around until: past ones done
// or cancelled, future ones planned (with reminders). datedCodes numbers
// each by the day it was made (a week before its date, at the latest
// until), as the demo wants.
func generatePlans(ctx context.Context, db *models.DB, rng *rand.Rand, n int, until time.Time, datedCodes bool, custs []genCust, methods []int64) error {
	const batch = 20000
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		err := db.WithBulk(ctx, func(b *models.Bulk) error {
			codes, err := b.NumberList("plan", k)
			if err != nil {
				return err
			}
			for i := range k {
				c := custs[rng.IntN(len(custs))]
				d := until.AddDate(0, 0, rng.IntN(91)-30)
				p := models.Plan{Code: codes[i], Date: d.Format("2006-01-02"), Time: fmt.Sprintf("%02d:%02d", 9+rng.IntN(9), 30*rng.IntN(2)),
					Status: "planned", RemindMinutes: 15, OwnerID: c.owner, CustomerID: c.id}
				if datedCodes {
					made := d.AddDate(0, 0, -7)
					if made.After(until) {
						made = until
					}
					if p.Code, err = b.NumberOn("plan", made); err != nil {
						return err
					}
				}
				if rng.IntN(5) == 0 {
					p.Time = ""
				}
				if d.Before(until) {
					p.Status = pick(rng, []string{"done", "done", "done", "cancelled", "planned"})
				}
				p.Origin = pick(rng, []string{"manual", "manual", "batch"})
				// No reminders are owed for the past.
				remind := p.Status == "planned" && d.After(until)
				p.MethodID = pick(rng, methods)
				p.Subject = pick(rng, genNext)
				if err := b.Plan(&p, remind); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// generateOpportunities adds n opportunities: most open and spread over
// the sales stages, some won or lost.
func generateOpportunities(ctx context.Context, db *models.DB, rng *rand.Rand, n int, until time.Time, custs []genCust, stages []int64) error {
	if n == 0 {
		return nil
	}
	return db.WithBulk(ctx, func(b *models.Bulk) error {
		codes, err := b.NumberList("opportunity", n)
		if err != nil {
			return err
		}
		for i := range n {
			c := custs[rng.IntN(len(custs))]
			si := rng.IntN(max(1, len(stages)-2)) // open ones sit before won/lost
			o := models.Opportunity{Code: codes[i], CustomerID: c.id, OwnerID: c.owner, Status: "open", Probability: 10 + 20*si}
			switch rng.IntN(6) {
			case 0:
				o.Status, o.CloseReason, o.Probability, si, o.ClosedAt = "won", "价格和服务都有优势", 100, len(stages)-2, b.Now
			case 1:
				o.Status, o.CloseReason, o.Probability, si, o.ClosedAt = "lost", pick(rng, []string{"预算取消", "竞争对手报价更低", "项目延期"}), 0, len(stages)-1, b.Now
			}
			o.AmountFen = int64(5+rng.IntN(200)) * 100000
			o.ExpectedClose = until.AddDate(0, 0, rng.IntN(120)).Format("2006-01-02")
			o.Name = pick(rng, genDeals)
			o.StageID = stages[min(si, len(stages)-1)]
			o.Probability = min(o.Probability, 100)
			if err := b.Opportunity(&o); err != nil {
				return err
			}
		}
		return nil
	})
}
