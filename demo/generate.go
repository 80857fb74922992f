// Package demo invents believable data — salespeople, Chinese companies and
// people, activity records, plans, opportunities, knowledge articles and
// customer issues — for the demo (keyuan --demo), the gen command and the
// benchmarks. The same seed gives the same data. It writes through
// models.Bulk, which bypasses the index queue, and asks for a search
// rebuild at the end. Only main.go (and tests) import it.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"keyuan/models"
)

// Options sizes a synthetic data set.
type Options struct {
	Customers int    // customers to create
	Prospects int    // prospects to create
	Sales     int    // salespeople to create (usernames sales1…salesN)
	Seed      uint64 // same seed, same data
	Password  string // password of the generated users
	// Activities and Plans are activity records and extra plans to create
	// for the customers (activities.go); Until is the end of the generated
	// history (default 2026-06-30, so the same seed gives the same data on
	// any day).
	Activities    int
	Plans         int
	Opportunities int
	Until         time.Time
	// HistoryDays is how far before Until the activity records and issues
	// go; 0 keeps the benchmarks' spread (three years of records, issues
	// from 2025 on). The demo uses 90: a company's last three months, its
	// open issues reported in the last two days, not long overdue.
	HistoryDays int
	Articles    int // knowledge articles beyond the seed set (SeedArticles are added when > 0 or Issues > 0)
	Issues      int // customer issues, spread over the customers
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
// salespeople, customers and prospects in every category, with contacts,
// and the activity and service records opt asks for. Everything goes
// through prepared statements in one transaction per 5,000 rows, which
// keeps 100,000 customers well under half a minute.
func Generate(ctx context.Context, db *models.DB, opt Options) error {
	if err := db.SeedDefaults(ctx); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	if opt.Password == "" {
		opt.Password = "keyuan-demo"
	}
	owners, err := generateUsers(ctx, db, opt)
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
		if err := generateCustomers(ctx, db, rng, kind.name, kind.n, owners, aux); err != nil {
			return err
		}
	}
	if err := generateActivities(ctx, db, rng, opt); err != nil {
		return err
	}
	if opt.Articles > 0 || opt.Issues > 0 {
		if err := generateService(ctx, db, rng, opt); err != nil {
			return err
		}
	}
	// The bulk inserts above bypass the index queue: ask for a rebuild.
	return db.RequestSearchRebuild(ctx)
}

func generateUsers(ctx context.Context, db *models.DB, opt Options) ([]int64, error) {
	people := []struct{ user, name string }{{"zhangwei", "张伟"}, {"lina", "李娜"}, {"wangqiang", "王强"}, {"liuyang", "刘洋"},
		{"chenjing", "陈静"}, {"yangfan", "杨帆"}, {"zhaomin", "赵敏"}, {"huangtao", "黄涛"}}
	existing, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]int64{}
	var firstID int64
	for _, u := range existing {
		byName[u.Username] = u.ID
		if firstID == 0 || u.ID < firstID {
			firstID = u.ID
		}
	}
	var owners []int64
	for i := range opt.Sales {
		username, name := fmt.Sprintf("sales%d", i+1), fmt.Sprintf("业务员%d", i+1)
		if i < len(people) {
			username, name = people[i].user, people[i].name
		}
		id, ok := byName[username]
		if !ok {
			id, err = db.CreateUser(ctx, 0, models.NewUser{Username: username, DisplayName: name, Role: models.RoleSales,
				Password: opt.Password, Email: username + "@example.com"})
			if err != nil {
				return nil, err
			}
		}
		owners = append(owners, id)
	}
	if len(owners) == 0 {
		if firstID == 0 {
			return nil, fmt.Errorf("generate: no user to own records")
		}
		owners = append(owners, firstID)
	}
	return owners, nil
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func generateCustomers(ctx context.Context, db *models.DB, rng *rand.Rand, kind string, n int, owners []int64, aux map[string][]int64) error {
	const batch = 5000
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += batch {
		end := min(n, start+batch)
		err := db.WithBulk(ctx, func(b *models.Bulk) error {
			codes, err := b.Numbers(kind, end-start)
			if err != nil {
				return err
			}
			for i := start; i < end; i++ {
				city, core, trade := pick(rng, genCities), pick(rng, genCores), pick(rng, genTrades)
				name := city + core + trade + pick(rng, genSuffixes)
				if i >= len(genCities)*len(genCores) {
					// Keep names unique in big sets, as real ones mostly are.
					name = fmt.Sprintf("%s%s%s（%d）%s", city, core, trade, i, pick(rng, genSuffixes))
				}
				created := base.Add(time.Duration(rng.IntN(600*24)) * time.Hour)
				c := models.Customer{Kind: kind, Code: codes(i - start), Name: name, CreatedAt: stamp(created), Status: "active"}
				c.UpdatedAt = c.CreatedAt
				if rng.IntN(3) > 0 {
					c.LastActivityDate = created.AddDate(0, 0, rng.IntN(90)).Format("2006-01-02")
					c.LastActivityContent = pick(rng, []string{"电话沟通采购需求", "上门拜访，介绍新产品", "发送报价单", "商务谈判价格", "微信跟进项目进度", "参加产品演示"})
				}
				if rng.IntN(20) == 0 {
					c.Status = "inactive"
				}
				c.Phone = fmt.Sprintf("0%d-%08d", 10+rng.IntN(890), rng.IntN(100000000))
				c.ShortName = core + trade
				c.IndustryID, c.SourceID = pick(rng, aux["industry"]), pick(rng, aux["source"])
				c.GradeID, c.RegionID, c.StageID = pick(rng, aux["grade"]), pick(rng, aux["region"]), pick(rng, aux["sales_stage"])
				c.Address = city + "市" + pick(rng, genStreets) + fmt.Sprintf("%d号", 1+rng.IntN(999))
				c.Email = fmt.Sprintf("info%d@%s.example.cn", i, strings.ToLower(kind))
				c.OwnerID, c.Notes = pick(rng, owners), pick(rng, genNotes)
				id, err := b.Customer(&c)
				if err != nil {
					return err
				}
				if rng.IntN(2) == 0 {
					if err := b.Trait(id, pick(rng, aux["trait"])); err != nil {
						return err
					}
				}
				for j := range 1 + rng.IntN(3) {
					k := models.Contact{CustomerID: id, Name: pick(rng, genSurnames) + pick(rng, genGiven), IsPrimary: j == 0}
					if rng.IntN(2) == 0 {
						k.Birthday = fmt.Sprintf("%d-%02d-%02d", 1960+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28))
					}
					k.Title, k.Phone = pick(rng, genTitles), c.Phone
					k.Mobile = fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1000000000))
					k.Email = fmt.Sprintf("c%d.%d@%s.example.cn", i, j, kind)
					if err := b.Contact(&k, c.CreatedAt); err != nil {
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
