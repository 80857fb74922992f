package models

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GenerateOptions sizes a synthetic data set.
type GenerateOptions struct {
	Customers int    // customers to create
	Prospects int    // prospects to create
	Sales     int    // salespeople to create (usernames sales1…salesN)
	Seed      uint64 // same seed, same data
	Password  string // password of the generated users
	// Activities and Plans are activity records and extra plans to create
	// for the customers (generate_activities.go); Until is the end of the
	// generated history (default 2026-06-30, so the same seed gives the
	// same data on any day).
	Activities    int
	Plans         int
	Opportunities int
	Until         time.Time
	Articles      int // knowledge articles beyond the seed set (SeedArticles are added when > 0 or Issues > 0)
	Issues        int // customer issues, spread over the customers
}

// Name parts for believable Chinese company and person names.
var (
	genCities   = []string{"北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "天津", "重庆", "青岛", "厦门", "长沙", "郑州", "宁波", "合肥", "大连", "昆明"}
	genCores    = []string{"华信", "鼎盛", "恒通", "瑞丰", "金桥", "宏达", "新锐", "博远", "智联", "盛世", "嘉禾", "启明", "中联", "天润", "汇丰", "锦程", "永兴", "远航", "佳美", "和信", "蓝海", "星辰", "国泰", "安达", "立信", "东方", "腾飞", "正和", "百川", "万通"}
	genTrades   = []string{"科技", "贸易", "机械", "电子", "食品", "物流", "建材", "医疗器械", "软件", "文化传媒", "餐饮管理", "教育咨询", "化工", "服饰", "家居", "汽车配件", "环保", "印刷", "酒店管理", "信息技术"}
	genSuffixes = []string{"有限公司", "股份有限公司", "有限责任公司", "集团有限公司"}
	genSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹"}
	genGiven    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "晓东", "海燕", "文博", "嘉怡", "思远", "雨涵"}
	genTitles   = []string{"总经理", "采购经理", "技术总监", "财务主管", "行政主管", "副总经理", "项目经理", "销售总监", "办公室主任", "IT主管"}
	genStreets  = []string{"人民路", "中山路", "解放路", "建设路", "和平路", "长江路", "科技园路", "工业大道", "滨江大道", "新华街"}
	genNotes    = []string{"", "", "老客户，合作多年。", "对价格比较敏感，需重点跟进。", "年底有采购计划。", "通过展会认识，对新产品感兴趣。", "决策人是总经理。", "需要定期回访。"}
)

// Generate fills the database with a deterministic synthetic data set:
// salespeople, customers and prospects in every category, with contacts.
// Everything goes through prepared statements in one transaction per 5,000
// rows, which keeps 100,000 customers well under half a minute.
func (db *DB) Generate(ctx context.Context, opt GenerateOptions) error {
	if err := db.SeedDefaults(ctx); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	if opt.Password == "" {
		opt.Password = "keyuan-demo"
	}
	owners, err := db.generateUsers(ctx, opt)
	if err != nil {
		return err
	}
	aux := map[string][]int64{}
	for _, typ := range []string{"industry", "source", "grade", "region", "sales_stage", "trait"} {
		items, err := db.AuxItemsOf(ctx, typ)
		if err != nil {
			return err
		}
		for _, it := range items {
			aux[typ] = append(aux[typ], it.ID)
		}
	}
	for _, kind := range []struct {
		name string
		n    int
	}{{"customer", opt.Customers}, {"prospect", opt.Prospects}} {
		if err := db.generateCustomers(ctx, rng, kind.name, kind.n, owners, aux); err != nil {
			return err
		}
	}
	if err := db.generateActivities(ctx, rng, opt); err != nil {
		return err
	}
	if opt.Articles > 0 || opt.Issues > 0 {
		if err := db.generateService(ctx, rng, opt); err != nil {
			return err
		}
	}
	// The bulk inserts above bypass the index queue: ask for a rebuild.
	return db.RequestSearchRebuild(ctx)
}

func (db *DB) generateUsers(ctx context.Context, opt GenerateOptions) ([]int64, error) {
	people := []struct{ user, name string }{{"zhangwei", "张伟"}, {"lina", "李娜"}, {"wangqiang", "王强"}, {"liuyang", "刘洋"},
		{"chenjing", "陈静"}, {"yangfan", "杨帆"}, {"zhaomin", "赵敏"}, {"huangtao", "黄涛"}}
	var owners []int64
	for i := range opt.Sales {
		username, name := fmt.Sprintf("sales%d", i+1), fmt.Sprintf("业务员%d", i+1)
		if i < len(people) {
			username, name = people[i].user, people[i].name
		}
		var id int64
		err := db.Read.QueryRowContext(ctx, `SELECT id FROM users WHERE username = ?`, username).Scan(&id)
		if err == sql.ErrNoRows {
			id, err = db.CreateUser(ctx, 0, NewUser{Username: username, DisplayName: name, Role: RoleSales, Password: opt.Password,
				Email: username + "@example.com"})
		}
		if err != nil {
			return nil, err
		}
		owners = append(owners, id)
	}
	if len(owners) == 0 {
		var id int64
		if err := db.Read.QueryRowContext(ctx, `SELECT id FROM users ORDER BY id LIMIT 1`).Scan(&id); err != nil {
			return nil, fmt.Errorf("generate: no user to own records: %w", err)
		}
		owners = append(owners, id)
	}
	return owners, nil
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func (db *DB) generateCustomers(ctx context.Context, rng *rand.Rand, kind string, n int, owners []int64, aux map[string][]int64) error {
	const batch = 5000
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += batch {
		end := min(n, start+batch)
		err := db.WithTx(ctx, func(tx *sql.Tx) error {
			insC, err := tx.PrepareContext(ctx, `INSERT INTO customers (kind, code, name, short_name, industry_id, source_id, grade_id,
				region_id, stage_id, address, phone, email, website, owner_id, status, notes, last_activity_date, last_activity_content,
				created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insC.Close()
			insK, err := tx.PrepareContext(ctx, `INSERT INTO contacts (customer_id, name, title, phone, mobile, email, birthday,
				is_primary, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer insK.Close()
			insT, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO customer_traits (customer_id, item_id) VALUES (?, ?)`)
			if err != nil {
				return err
			}
			defer insT.Close()
			codes, err := db.allocNumbers(ctx, tx, kind, end-start)
			if err != nil {
				return err
			}
			for i := start; i < end; i++ {
				code := codes(i - start)
				city, core, trade := pick(rng, genCities), pick(rng, genCores), pick(rng, genTrades)
				name := city + core + trade + pick(rng, genSuffixes)
				if i >= len(genCities)*len(genCores) {
					// Keep names unique in big sets, as real ones mostly are.
					name = fmt.Sprintf("%s%s%s（%d）%s", city, core, trade, i, pick(rng, genSuffixes))
				}
				created := base.Add(time.Duration(rng.IntN(600*24)) * time.Hour)
				stamp := stamp(created)
				var lastDate any
				lastContent := ""
				if rng.IntN(3) > 0 {
					lastDate = created.AddDate(0, 0, rng.IntN(90)).Format("2006-01-02")
					lastContent = pick(rng, []string{"电话沟通采购需求", "上门拜访，介绍新产品", "发送报价单", "商务谈判价格", "微信跟进项目进度", "参加产品演示"})
				}
				status := "active"
				if rng.IntN(20) == 0 {
					status = "inactive"
				}
				phone := fmt.Sprintf("0%d-%08d", 10+rng.IntN(890), rng.IntN(100000000))
				res, err := insC.ExecContext(ctx, kind, code, name, core+trade, pick(rng, aux["industry"]), pick(rng, aux["source"]),
					pick(rng, aux["grade"]), pick(rng, aux["region"]), pick(rng, aux["sales_stage"]),
					city+"市"+pick(rng, genStreets)+fmt.Sprintf("%d号", 1+rng.IntN(999)), phone,
					fmt.Sprintf("info%d@%s.example.cn", i, strings.ToLower(kind)), "", pick(rng, owners), status,
					pick(rng, genNotes), lastDate, lastContent, stamp, stamp)
				if err != nil {
					return err
				}
				id, err := res.LastInsertId()
				if err != nil {
					return err
				}
				if rng.IntN(2) == 0 {
					if _, err := insT.ExecContext(ctx, id, pick(rng, aux["trait"])); err != nil {
						return err
					}
				}
				for j := range 1 + rng.IntN(3) {
					person := pick(rng, genSurnames) + pick(rng, genGiven)
					var birthday any
					if rng.IntN(2) == 0 {
						birthday = fmt.Sprintf("%d-%02d-%02d", 1960+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28))
					}
					if _, err := insK.ExecContext(ctx, id, person, pick(rng, genTitles), phone,
						fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1000000000)),
						fmt.Sprintf("c%d.%d@%s.example.cn", i, j, kind), birthday, j == 0, stamp, stamp); err != nil {
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
	return nil
}

// allocNumbers reserves n consecutive numbers of kind inside tx with one
// counter update and returns a function that formats the i-th of them. It
// hands out exactly the numbers n calls of NextNumber would; numbering row by
// row (two statements per row) was a third of the generator's time.
func (db *DB) allocNumbers(ctx context.Context, tx *sql.Tx, kind string, n int) (func(i int) string, error) {
	r, err := db.numberingRule(ctx, tx, kind)
	if err != nil {
		return nil, fmt.Errorf("numbering rule %q: %w", kind, err)
	}
	now := db.LocalNow()
	var last int64
	err = tx.QueryRowContext(ctx, `INSERT INTO numbering_counters (kind, period, last) VALUES (?, ?, ?)
		ON CONFLICT (kind, period) DO UPDATE SET last = last + excluded.last RETURNING last`, kind, r.period(now), n).Scan(&last)
	if err != nil {
		return nil, err
	}
	first := last - int64(n) + 1
	return func(i int) string { return r.Format(now, first+int64(i)) }, nil
}
