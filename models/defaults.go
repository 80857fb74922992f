package models

import (
	"context"
	"database/sql"
)

type defaultItem struct{ code, zh, en string }

// defaultAuxItems fill the category lists of a new database so the forms
// are usable at once; the admin edits them freely afterwards.
var defaultAuxItems = map[string][]defaultItem{
	"industry": {{"MFG", "制造业", "Manufacturing"}, {"IT", "信息技术", "Information technology"}, {"RET", "零售", "Retail"},
		{"FIN", "金融", "Finance"}, {"EDU", "教育", "Education"}, {"MED", "医疗", "Healthcare"}, {"CON", "建筑", "Construction"},
		{"LOG", "物流", "Logistics"}, {"FNB", "餐饮", "Food and beverage"}, {"GOV", "政府机构", "Government"}},
	"source": {{"REF", "客户介绍", "Referral"}, {"WEB", "网站", "Website"}, {"EXPO", "展会", "Trade fair"},
		{"COLD", "电话开发", "Cold call"}, {"AD", "广告", "Advertising"}, {"PART", "合作伙伴", "Partner"}},
	"grade": {{"A", "A级（重点）", "A (key)"}, {"B", "B级（一般）", "B (regular)"}, {"C", "C级（潜力）", "C (potential)"}, {"D", "D级（观察）", "D (watch)"}},
	"trait": {{"PRICE", "价格敏感", "Price-sensitive"}, {"QUAL", "重视质量", "Quality-focused"}, {"FAST", "决策快", "Decides fast"},
		{"SVC", "重视服务", "Service-focused"}, {"LOYAL", "忠诚度高", "Loyal"}},
	"region": {{"HB", "华北", "North China"}, {"HD", "华东", "East China"}, {"HN", "华南", "South China"}, {"HZ", "华中", "Central China"},
		{"XN", "西南", "Southwest"}, {"XB", "西北", "Northwest"}, {"DB", "东北", "Northeast"}},
	"sales_stage": {{"S1", "初步接触", "First contact"}, {"S2", "需求确认", "Needs confirmed"}, {"S3", "方案报价", "Proposal"},
		{"S4", "商务谈判", "Negotiation"}, {"S5", "签约成交", "Closed won"}, {"S6", "丢单", "Closed lost"}},
	"activity_method": {{"VISIT", "拜访", "Visit"}, {"PHONE", "电话", "Phone call"}, {"MAIL", "邮件", "E-mail"},
		{"WECHAT", "微信", "WeChat"}, {"MEET", "会议", "Meeting"}, {"DEMO", "产品演示", "Demo"}},
	"handling_method": {{"PHONE", "电话支持", "Phone support"}, {"REMOTE", "远程协助", "Remote assistance"},
		{"ONSITE", "上门服务", "On-site service"}, {"RMA", "返厂维修", "Return for repair"}, {"MAIL", "邮件答复", "E-mail reply"}},
	"issue_type": {{"FAULT", "产品故障", "Product fault"}, {"USAGE", "使用咨询", "Usage question"}, {"BILL", "账单发票", "Billing and invoices"},
		{"DELIV", "物流配送", "Delivery"}, {"COMPL", "投诉", "Complaint"}, {"REQ", "功能建议", "Feature request"}},
	"campaign_type": {{"LAUNCH", "新品发布会", "Product launch"}, {"SEMINAR", "技术研讨会", "Seminar"}, {"EXPO", "展会", "Trade fair"},
		{"TRAIN", "客户培训", "Customer training"}, {"PROMO", "促销活动", "Promotion"}},
}

// SeedDefaults fills empty category lists with defaults. It is safe to call
// on every start.
func (db *DB) SeedDefaults(ctx context.Context) error {
	defer db.InvalidateAuxCache()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		for _, typ := range AuxTypes {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM aux_items WHERE type = ?`, typ).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			for i, it := range defaultAuxItems[typ] {
				if _, err := tx.ExecContext(ctx, `INSERT INTO aux_items (type, code, name_zh, name_en, sort_order, active, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, 1, ?, ?)`, typ, it.code, it.zh, it.en, (i+1)*10, now, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Setting reads an admin setting ("" when unset).
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.Read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return v, err
}

// SetSetting stores an admin setting.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.Write.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
