package models

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"
)

// Generated activity records span activityYears before GenerateOptions.Until;
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
	genNext = []string{"回访报价", "送样品", "签订合同", "安排技术演示", "确认交货时间", "拜访决策人"}
)

// generateActivities adds competitors, opt.Activities activity records
// (about one in ten with a next activity and its plan) and opt.Plans more
// plans, for the customers already generated, then writes each customer's
// latest activity back. Numbers are allocated in blocks per transaction.
func (db *DB) generateActivities(ctx context.Context, rng *rand.Rand, opt GenerateOptions) error {
	if opt.Activities == 0 && opt.Plans == 0 && opt.Opportunities == 0 {
		return nil
	}
	until := opt.Until
	if until.IsZero() {
		until = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	}
	var competitors []int64
	for _, c := range genCompetitors {
		var id int64
		err := db.Write.QueryRowContext(ctx, `INSERT INTO competitors (name, strengths, weaknesses, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`,
			c.name, c.strengths, c.weaknesses, db.nowStamp(), db.nowStamp()).Scan(&id)
		if err != nil {
			return err
		}
		competitors = append(competitors, id)
	}
	var custs []genCust
	rows, err := db.Read.QueryContext(ctx, `SELECT id, owner_id FROM customers WHERE status <> 'converted' ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c genCust
		if err := rows.Scan(&c.id, &c.owner); err != nil {
			rows.Close()
			return err
		}
		custs = append(custs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
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
	first := until.AddDate(0, 0, -days)
	clock := func() (string, string) {
		m := 8*60 + 30*rng.IntN(20)
		e := m + 30*(1+rng.IntN(3))
		return fmt.Sprintf("%02d:%02d", m/60, m%60), fmt.Sprintf("%02d:%02d", e/60, e%60)
	}
	const batch = 20000
	now := db.nowStamp()
	for start := 0; start < opt.Activities; start += batch {
		n := min(batch, opt.Activities-start)
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			codes, err := db.nextNumbers(ctx, tx, "activity", n)
			if err != nil {
				return err
			}
			insA, err := tx.PrepareContext(ctx, `INSERT INTO activities (code, date, start_time, end_time, owner_id, customer_id,
				method_id, stage_id, subject, content, result, next_subject, next_date, next_time, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insA.Close()
			insM, err := tx.PrepareContext(ctx, `INSERT INTO activity_competitors (activity_id, competitor_id, note) VALUES (?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insM.Close()
			insP, err := tx.PrepareContext(ctx, `INSERT INTO plans (code, date, time, owner_id, customer_id, method_id, subject, status,
				origin, source_activity_id, remind_minutes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'activity', ?, 15, ?, ?)`)
			if err != nil {
				return err
			}
			defer insP.Close()
			for i := range n {
				c := custs[rng.IntN(len(custs))]
				date := first.AddDate(0, 0, rng.IntN(days+1))
				st, et := clock()
				method, stage := pick(rng, methods), pick(rng, stages)
				var nextSubject, nextTime string
				var nextDate any
				hasNext := rng.IntN(10) == 0
				if hasNext {
					nextSubject, nextTime = pick(rng, genNext), fmt.Sprintf("%02d:00", 9+rng.IntN(8))
					nextDate = date.AddDate(0, 0, 1+rng.IntN(14)).Format("2006-01-02")
				}
				res, err := insA.ExecContext(ctx, codes[i], date.Format("2006-01-02"), st, et, c.owner, c.id, method, stage,
					pick(rng, genSubjects), pick(rng, genContents), nextSubject, nextDate, nextTime, now, now)
				if err != nil {
					return err
				}
				id, err := res.LastInsertId()
				if err != nil {
					return err
				}
				if rng.IntN(10) == 0 {
					if _, err := insM.ExecContext(ctx, id, pick(rng, competitors), pick(rng, []string{"", "报价更低", "在试用", "客户比较满意"})); err != nil {
						return err
					}
				}
				if hasNext {
					code, err := db.NextNumber(ctx, tx, "plan")
					if err != nil {
						return err
					}
					status := "done"
					if nextDate.(string) >= until.Format("2006-01-02") {
						status = "planned"
					}
					if _, err := insP.ExecContext(ctx, code, nextDate, nextTime, c.owner, c.id, method, nextSubject, status, id, now, now); err != nil {
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
	if err := db.generatePlans(ctx, rng, opt.Plans, until, custs, methods); err != nil {
		return err
	}
	if err := db.generateOpportunities(ctx, rng, opt.Opportunities, until, custs, stages); err != nil {
		return err
	}
	_, err = db.Write.ExecContext(ctx, `UPDATE customers SET (last_activity_date, last_activity_content) =
		(SELECT a.date, a.subject FROM activities a WHERE a.customer_id = customers.id ORDER BY a.date DESC, a.id DESC LIMIT 1)
		WHERE EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = customers.id)`)
	return err
}

// genCust is a customer and its owner, for spreading generated records.
type genCust struct{ id, owner int64 }

// generatePlans adds n manual and batch plans around until: past ones done
// or cancelled, future ones planned (with reminders).
func (db *DB) generatePlans(ctx context.Context, rng *rand.Rand, n int, until time.Time, custs []genCust, methods []int64) error {
	const batch = 20000
	now := db.nowStamp()
	for start := 0; start < n; start += batch {
		k := min(batch, n-start)
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			codes, err := db.nextNumbers(ctx, tx, "plan", k)
			if err != nil {
				return err
			}
			ins, err := tx.PrepareContext(ctx, `INSERT INTO plans (code, date, time, owner_id, customer_id, method_id, subject, content,
				status, origin, remind_minutes, remind_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer ins.Close()
			for i := range k {
				c := custs[rng.IntN(len(custs))]
				d := until.AddDate(0, 0, rng.IntN(91)-30)
				p := Plan{Date: d.Format("2006-01-02"), Time: fmt.Sprintf("%02d:%02d", 9+rng.IntN(9), 30*rng.IntN(2)), Status: "planned", RemindMinutes: 15}
				if rng.IntN(5) == 0 {
					p.Time = ""
				}
				if d.Before(until) {
					p.Status = pick(rng, []string{"done", "done", "done", "cancelled", "planned"})
				}
				origin := pick(rng, []string{"manual", "manual", "batch"})
				remindAt := db.remindAt(&p)
				if p.Status != "planned" || !d.After(until) {
					remindAt = nil // no reminders owed for the past
				}
				if _, err := ins.ExecContext(ctx, codes[i], p.Date, p.Time, c.owner, c.id, pick(rng, methods), pick(rng, genNext),
					p.Status, origin, p.RemindMinutes, remindAt, now, now); err != nil {
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

var genDeals = []string{"年度设备采购", "办公系统升级", "新厂房配套", "耗材年度框架协议", "售后服务续约", "试点项目", "二期扩容"}

// generateOpportunities adds n opportunities: most open and spread over
// the sales stages, some won or lost.
func (db *DB) generateOpportunities(ctx context.Context, rng *rand.Rand, n int, until time.Time, custs []genCust, stages []int64) error {
	if n == 0 {
		return nil
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		codes, err := db.nextNumbers(ctx, tx, "opportunity", n)
		if err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO opportunities (code, name, customer_id, owner_id, amount_fen, expected_close,
			stage_id, probability, status, close_reason, closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		now := db.nowStamp()
		for i := range n {
			c := custs[rng.IntN(len(custs))]
			si := rng.IntN(max(1, len(stages)-2)) // open ones sit before won/lost
			status, reason, prob := "open", "", 10+20*si
			var closed any
			switch rng.IntN(6) {
			case 0:
				status, reason, prob, si, closed = "won", "价格和服务都有优势", 100, len(stages)-2, now
			case 1:
				status, reason, prob, si, closed = "lost", pick(rng, []string{"预算取消", "竞争对手报价更低", "项目延期"}), 0, len(stages)-1, now
			}
			amount := int64(5+rng.IntN(200)) * 100000
			expected := until.AddDate(0, 0, rng.IntN(120)).Format("2006-01-02")
			if _, err := ins.ExecContext(ctx, codes[i], pick(rng, genDeals), c.id, c.owner, amount, expected, stages[min(si, len(stages)-1)],
				min(prob, 100), status, reason, closed, now, now); err != nil {
				return err
			}
		}
		return nil
	})
}
