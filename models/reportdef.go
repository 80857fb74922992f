package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User-defined reports (新增报表类型). A report is a definition (ReportDef,
// stored as JSON) over a whitelist of data sources: their tables, columns
// with a type and a label, and the relations the schema defines between
// them (an activity has a customer, a customer has an owner). SQL is built
// only from that whitelist — table and column names never come from the
// definition — and every value travels as a bound parameter. Anything the
// whitelist does not know is a *ReportDefError, which handlers show as a
// 400 with a translated message, never a SQL error.

// Field types of the whitelist. Results carry the same types, plus percent.
const (
	TypeText     = "text"
	TypeInt      = "int"
	TypeFloat    = "float"
	TypeMoney    = "money"    // fen (0.01 yuan), shown as yuan
	TypePercent  = "percent"  // 0–100
	TypeDate     = "date"     // YYYY-MM-DD in the business's time zone
	TypeDatetime = "datetime" // RFC 3339 stamp in UTC
	TypeAux      = "aux"      // an auxiliary item id, shown by name
	TypeEnum     = "enum"     // one of a fixed list of values, shown translated
	TypeBool     = "bool"
)

// ReportDef is the definition of a user-defined report.
type ReportDef struct {
	Source     string         `json:"source"`
	Joins      []string       `json:"joins,omitempty"`   // relation paths, e.g. "customer", "customer.owner"
	Columns    []string       `json:"columns,omitempty"` // field paths, e.g. "date", "customer.industry"
	Filters    []ReportFilter `json:"filters,omitempty"`
	GroupBy    []ReportGroup  `json:"group_by,omitempty"`
	Aggregates []ReportAgg    `json:"aggregates,omitempty"`
	Sort       *ReportSort    `json:"sort,omitempty"`
	Limit      int            `json:"limit,omitempty"`
	Chart      string         `json:"chart,omitempty"` // table, bar, line or pie
}

// ReportFilter is one condition: field, operator, value(s).
type ReportFilter struct {
	Field  string   `json:"field"`
	Op     string   `json:"op"`
	Value  string   `json:"value,omitempty"`
	Value2 string   `json:"value2,omitempty"` // the upper bound of "between"
	Values []string `json:"values,omitempty"` // the choices of "in"
}

// ReportGroup groups by a field; a date can be grouped by day, month,
// quarter or year.
type ReportGroup struct {
	Field  string `json:"field"`
	Bucket string `json:"bucket,omitempty"`
}

// ReportAgg is an aggregate of the rows of each group.
type ReportAgg struct {
	Func  string `json:"func"`
	Field string `json:"field,omitempty"`
}

// ReportSort orders the result by one of its columns (0-based).
type ReportSort struct {
	Column int  `json:"column"`
	Desc   bool `json:"desc,omitempty"`
}

// Limits of a definition.
const (
	maxReportJoins     = 6
	maxReportDepth     = 3
	maxReportColumns   = 30
	maxReportFilters   = 20
	maxReportGroups    = 2
	maxReportAggs      = 4
	maxReportInValues  = 50
	maxReportValueLen  = 200
	MaxReportLimit     = 100000
	maxReportDefLength = 20000
)

// ReportCharts are the chart types a report can show.
var ReportCharts = []string{"table", "bar", "line", "pie"}

// ReportAggFuncs are the aggregates, in the builder's order.
var ReportAggFuncs = []string{"count", "count_distinct", "sum", "avg", "min", "max"}

// ReportBuckets are the ways to group a date.
var ReportBuckets = []string{"day", "month", "quarter", "year"}

// ReportOps lists every operator; typeOps says which apply to which type.
var ReportOps = []string{"eq", "ne", "contains", "not_contains", "starts_with", "lt", "le", "gt", "ge", "between",
	"period", "last_days", "next_days", "in", "is_true", "is_false", "empty", "not_empty"}

var typeOps = map[string][]string{
	TypeText:     {"eq", "ne", "contains", "not_contains", "starts_with", "empty", "not_empty"},
	TypeInt:      {"eq", "ne", "lt", "le", "gt", "ge", "between", "empty", "not_empty"},
	TypeFloat:    {"lt", "le", "gt", "ge", "between", "empty", "not_empty"},
	TypeMoney:    {"eq", "ne", "lt", "le", "gt", "ge", "between"},
	TypeDate:     {"period", "last_days", "next_days", "eq", "lt", "le", "gt", "ge", "between", "empty", "not_empty"},
	TypeDatetime: {"period", "last_days", "eq", "lt", "le", "gt", "ge", "between", "empty", "not_empty"},
	TypeAux:      {"eq", "ne", "in", "empty", "not_empty"},
	TypeEnum:     {"eq", "ne", "in"},
	TypeBool:     {"is_true", "is_false"},
}

// aggTypes says which field types each aggregate takes; count takes any
// field or none.
var aggTypes = map[string][]string{
	"count_distinct": {TypeText, TypeInt, TypeFloat, TypeMoney, TypeDate, TypeDatetime, TypeAux, TypeEnum, TypeBool},
	"sum":            {TypeInt, TypeFloat, TypeMoney, TypeBool},
	"avg":            {TypeInt, TypeFloat, TypeMoney, TypeBool},
	"min":            {TypeInt, TypeFloat, TypeMoney, TypeDate, TypeDatetime},
	"max":            {TypeInt, TypeFloat, TypeMoney, TypeDate, TypeDatetime},
}

// ReportDefError is a definition the whitelist refuses. Key is a message
// key (report.err.*) and Arg what it is about (a field path, a relation).
type ReportDefError struct {
	Key string
	Arg string
}

func (e *ReportDefError) Error() string {
	if e.Arg == "" {
		return "report definition: " + e.Key
	}
	return fmt.Sprintf("report definition: %s (%s)", e.Key, e.Arg)
}

func defErr(key, arg string) error { return &ReportDefError{Key: "report.err." + key, Arg: arg} }

// ReportErrorKeys lists every key a ReportDefError may carry.
var ReportErrorKeys = []string{"malformed", "unknown_source", "source_not_allowed", "unknown_relation", "relation_cycle",
	"too_many_joins", "too_deep", "unknown_field", "too_many_columns", "too_many_filters", "unknown_operator",
	"operator_not_for_type", "bad_value", "too_many_groups", "bad_bucket", "unknown_aggregate", "aggregate_not_for_type",
	"aggregate_needs_field", "too_many_aggregates", "columns_with_group", "columns_with_aggregates", "no_columns",
	"bad_sort", "bad_limit", "bad_chart", "chart_needs_group"}

// ParseReportDef reads a stored or posted definition. Unknown keys and
// values of the wrong JSON type are refused like unknown fields.
func ParseReportDef(b []byte) (ReportDef, error) {
	var d ReportDef
	if len(b) > maxReportDefLength {
		return d, defErr("malformed", "")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, defErr("malformed", "")
	}
	if dec.More() {
		return d, defErr("malformed", "")
	}
	return d, nil
}

// JSON encodes the definition for storage.
func (d ReportDef) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		return "{}" // a struct of strings, ints and slices always marshals
	}
	return string(b)
}

// --- the whitelist -----------------------------------------------------------

type reportField struct {
	name    string // the name in definitions; its label is report.field.<label or name>
	label   string
	expr    string // SQL over the source's alias, written {t}
	typ     string
	aux     string   // the auxiliary item type of a TypeAux field
	enum    []string // the values of a TypeEnum field
	enumKey string   // their message prefix, e.g. "plan.status."
}

func (f reportField) labelKey() string {
	if f.label != "" {
		return "report.field." + f.label
	}
	return "report.field." + f.name
}

type reportRelation struct {
	name   string // the path step, also its label report.rel.<name>
	target string // the source it leads to
	on     string // the join condition over {p} (this side) and {t} (the target)
}

type reportSource struct {
	key       string
	table     string
	base      string // the condition that makes the table this source, over {t}; only for a base source
	selects   bool   // offered as the data source of a report
	fields    []reportField
	relations []reportRelation
	// rule is the row rule: the condition over {t} that limits rows to what
	// actor may see; "" when nothing is hidden, "0" when the role may see
	// none of them.
	rule func(a Actor) (string, []any)
}

func (s *reportSource) field(name string) (reportField, bool) {
	for _, f := range s.fields {
		if f.name == name {
			return f, true
		}
	}
	return reportField{}, false
}

func (s *reportSource) relation(name string) (reportRelation, bool) {
	for _, r := range s.relations {
		if r.name == name {
			return r, true
		}
	}
	return reportRelation{}, false
}

func ownRows(col string) func(a Actor) (string, []any) {
	return func(a Actor) (string, []any) { return a.ownerRule(ModCustomers, "{t}."+col), nil }
}

// customerRows is the rule of a source hanging on a customer (contacts,
// and issues in the service scope): the customer's owner is in scope.
func customerRows(m Module) func(a Actor) (string, []any) {
	return func(a Actor) (string, []any) {
		if rule := a.ownerRule(m, "x.owner_id"); rule != "" {
			return "EXISTS (SELECT 1 FROM customers x WHERE x.id = {t}.customer_id AND " + rule + ")", nil
		}
		return "", nil
	}
}

// salesRows is the rule of the sales sources (activities, plans,
// opportunities): the activities scope; none for those without it.
func salesRows(a Actor) (string, []any) {
	if !a.Can(PermActivitiesSee) {
		return "0", nil
	}
	return a.ownerRule(ModActivities, "{t}.owner_id"), nil
}

// userRows is the rule of the users source: the people of one's customers
// scope (oneself, one's team, everyone), never every login of the company
// for a salesperson.
func userRows(a Actor) (string, []any) {
	if a.Can(PermSettingsManage) {
		return "", nil
	}
	return a.ownerRule(ModCustomers, "{t}.id"), nil
}

func campaignRows(col string) func(a Actor) (string, []any) {
	return func(a Actor) (string, []any) {
		if !a.UsesCampaigns() {
			return "0", nil
		}
		rule := a.ownerRule(ModCampaigns, "x.owner_id")
		switch {
		case rule == "":
			return "", nil
		case col == "owner_id":
			return a.ownerRule(ModCampaigns, "{t}.owner_id"), nil
		}
		return "EXISTS (SELECT 1 FROM campaigns x WHERE x.id = {t}." + col + " AND " + rule + ")", nil
	}
}

func noRule(Actor) (string, []any) { return "", nil }

func text(name, col string) reportField {
	return reportField{name: name, expr: "{t}." + col, typ: TypeText}
}
func dateField(name, col string) reportField {
	return reportField{name: name, expr: "{t}." + col, typ: TypeDate}
}
func stampField(name, col string) reportField {
	return reportField{name: name, expr: "{t}." + col, typ: TypeDatetime}
}
func auxField(name, col, typ string) reportField {
	return reportField{name: name, expr: "{t}." + col, typ: TypeAux, aux: typ}
}
func intField(name, expr string) reportField {
	return reportField{name: name, expr: expr, typ: TypeInt}
}
func enumField(name, expr, key string, values []string) reportField {
	return reportField{name: name, expr: expr, typ: TypeEnum, enum: values, enumKey: key}
}

var counterpartFields = []reportField{
	text("code", "code"), text("name", "name"), text("short_name", "short_name"),
	enumField("kind", "{t}.kind", "kind.", []string{"customer", "prospect"}),
	auxField("industry", "industry_id", "industry"), auxField("source", "source_id", "source"),
	auxField("grade", "grade_id", "grade"), auxField("region", "region_id", "region"),
	auxField("stage", "stage_id", "sales_stage"),
	enumField("status", "{t}.status", "status.", []string{"active", "inactive", "converted"}),
	text("phone", "phone"), text("email", "email"), text("address", "address"),
	dateField("last_activity_date", "last_activity_date"), stampField("created_at", "created_at"),
}

var reportSources = map[string]*reportSource{}

// reportSourceOrder is the order of the data source choice.
var reportSourceOrder = []string{"customers", "prospects", "contacts", "activities", "plans", "opportunities", "campaigns",
	"campaign_targets", "issues", "articles"}

func init() {
	owner := reportRelation{name: "owner", target: "users", on: "{t}.id = {p}.owner_id"}
	customer := reportRelation{name: "customer", target: "counterparts", on: "{t}.id = {p}.customer_id"}
	contact := reportRelation{name: "contact", target: "contacts", on: "{t}.id = {p}.contact_id"}
	for _, s := range []*reportSource{
		{key: "users", table: "users", rule: userRows, fields: []reportField{
			{name: "name", label: "user_name", expr: "{t}.display_name", typ: TypeText}, text("username", "username"),
			enumField("role", "{t}.role", "role.", []string{"admin", "manager", "sales", "service"}),
		}},
		{key: "counterparts", table: "customers", rule: ownRows("owner_id"), fields: counterpartFields,
			relations: []reportRelation{owner}},
		{key: "customers", table: "customers", base: "{t}.kind = 'customer'", selects: true, rule: ownRows("owner_id"),
			fields: counterpartFields, relations: []reportRelation{owner}},
		{key: "prospects", table: "customers", base: "{t}.kind = 'prospect'", selects: true, rule: ownRows("owner_id"),
			fields: counterpartFields, relations: []reportRelation{owner,
				{name: "converted_to", target: "counterparts", on: "{t}.id = {p}.converted_to_id"}}},
		{key: "contacts", table: "contacts", selects: true, fields: []reportField{
			{name: "name", label: "contact_name", expr: "{t}.name", typ: TypeText}, text("title", "title"),
			text("phone", "phone"), text("mobile", "mobile"), text("email", "email"), dateField("birthday", "birthday"),
			{name: "is_primary", expr: "{t}.is_primary", typ: TypeBool},
		}, relations: []reportRelation{customer}, rule: customerRows(ModCustomers)},
		{key: "activities", table: "activities", selects: true, rule: salesRows, fields: []reportField{
			text("code", "code"), dateField("date", "date"), text("start_time", "start_time"), text("subject", "subject"),
			text("content", "content"), text("result", "result"), auxField("method", "method_id", "activity_method"),
			auxField("stage", "stage_id", "sales_stage"), text("next_subject", "next_subject"), dateField("next_date", "next_date"),
			intField("competitors", "(SELECT COUNT(*) FROM activity_competitors x WHERE x.activity_id = {t}.id)"),
		}, relations: []reportRelation{customer, owner, contact,
			{name: "next_plan", target: "plans", on: "{t}.source_activity_id = {p}.id"}}},
		{key: "plans", table: "plans", selects: true, rule: salesRows, fields: []reportField{
			text("code", "code"), dateField("date", "date"), text("time", "time"), text("subject", "subject"),
			text("content", "content"), auxField("method", "method_id", "activity_method"),
			enumField("status", "{t}.status", "plan.status.", PlanStatuses),
			enumField("origin", "{t}.origin", "plan.origin.", PlanOrigins),
			{name: "done", expr: "({t}.status = 'done')", typ: TypeBool},
		}, relations: []reportRelation{customer, owner, contact,
			{name: "source_activity", target: "activities", on: "{t}.id = {p}.source_activity_id"},
			{name: "done_activity", target: "activities", on: "{t}.id = {p}.done_activity_id"}}},
		{key: "opportunities", table: "opportunities", selects: true, rule: salesRows, fields: []reportField{
			text("code", "code"), {name: "name", label: "opportunity_name", expr: "{t}.name", typ: TypeText},
			{name: "amount", expr: "{t}.amount_fen", typ: TypeMoney},
			{name: "weighted_amount", expr: "({t}.amount_fen * {t}.probability / 100)", typ: TypeMoney},
			intField("probability", "{t}.probability"), dateField("expected_close", "expected_close"),
			auxField("stage", "stage_id", "sales_stage"),
			enumField("status", "{t}.status", "opportunity.status.", OpportunityStatuses),
			text("close_reason", "close_reason"), stampField("closed_at", "closed_at"), stampField("created_at", "created_at"),
		}, relations: []reportRelation{customer, owner}},
		{key: "campaigns", table: "campaigns", selects: true, rule: campaignRows("owner_id"), fields: []reportField{
			text("code", "code"), {name: "name", label: "campaign_name", expr: "{t}.name", typ: TypeText},
			auxField("type", "type_id", "campaign_type"), dateField("start_date", "start_date"), dateField("end_date", "end_date"),
			text("place", "place"), {name: "budget", expr: "{t}.budget", typ: TypeMoney},
			{name: "actual_cost", expr: "{t}.actual_cost", typ: TypeMoney},
			enumField("status", "{t}.status", "campaign.status.", CampaignStatuses),
			intField("leads", "{t}.leads"), intField("opportunities", "{t}.opportunities"),
			intField("targets", "(SELECT COUNT(*) FROM campaign_targets x WHERE x.campaign_id = {t}.id)"),
			intField("attendees", "(SELECT COALESCE(SUM(CASE WHEN x.attended THEN MAX(x.head_count, 1) ELSE 0 END), 0) FROM campaign_targets x WHERE x.campaign_id = {t}.id)"),
		}, relations: []reportRelation{owner}},
		{key: "campaign_targets", table: "campaign_targets", selects: true, rule: campaignRows("campaign_id"), fields: []reportField{
			{name: "name", label: "target_name", expr: "{t}.name", typ: TypeText}, text("email", "email"),
			enumField("mail_status", "COALESCE(NULLIF({t}.mail_status, ''), 'none')", "campaign.mail.",
				[]string{"none", "queued", "sending", "sent", "failed", "opened", "unsubscribed"}),
			{name: "notified", expr: "{t}.notified", typ: TypeBool},
			enumField("notified_how", "NULLIF({t}.notified_how, '')", "campaign.how.", []string{"email", "phone", "visit", "other"}),
			{name: "attended", expr: "{t}.attended", typ: TypeBool}, intField("head_count", "{t}.head_count"),
			text("feedback", "feedback"),
		}, relations: []reportRelation{{name: "campaign", target: "campaigns", on: "{t}.id = {p}.campaign_id"}, customer, contact}},
		{key: "issues", table: "issues", selects: true, fields: []reportField{
			text("code", "code"), {name: "subject", label: "issue_subject", expr: "{t}.subject", typ: TypeText},
			text("description", "description"), stampField("reported_at", "reported_at"),
			enumField("channel", "NULLIF({t}.channel, '')", "issue.channel.", IssueChannels),
			{name: "type", label: "issue_type", expr: "{t}.type_id", typ: TypeAux, aux: "issue_type"},
			enumField("priority", "{t}.priority", "issue.priority.", IssuePriorities),
			enumField("status", "{t}.status", "issue.status.", IssueStatuses),
			stampField("due_at", "due_at"), stampField("resolved_at", "resolved_at"),
			{name: "resolve_hours", expr: "((julianday({t}.resolved_at) - julianday({t}.reported_at)) * 24)", typ: TypeFloat},
		}, relations: []reportRelation{customer, contact, {name: "assignee", target: "users", on: "{t}.id = {p}.assignee_id"},
			{name: "article", target: "articles", on: "{t}.id = {p}.article_id"}},
			rule: customerRows(ModService)},
		{key: "articles", table: "articles", selects: true, rule: noRule, fields: []reportField{
			text("code", "code"), {name: "title", label: "article_title", expr: "{t}.title", typ: TypeText},
			text("symptom", "symptom"), text("solution", "solution"),
			{name: "category", expr: "{t}.category_id", typ: TypeAux, aux: "issue_type"}, text("keywords", "keywords"),
			intField("views", "{t}.views"), intField("helped", "{t}.helped"), stampField("created_at", "created_at"),
		}, relations: []reportRelation{{name: "source_issue", target: "issues", on: "{t}.id = {p}.source_issue_id"}}},
	} {
		reportSources[s.key] = s
	}
	for _, s := range reportSources {
		for _, r := range s.relations {
			if reportSources[r.target] == nil {
				panic("report whitelist: relation " + s.key + "." + r.name + " leads to unknown source " + r.target)
			}
		}
		for _, f := range s.fields {
			if typeOps[f.typ] == nil {
				panic("report whitelist: field " + s.key + "." + f.name + " has unknown type " + f.typ)
			}
		}
	}
}

// --- what the builder offers --------------------------------------------------

// ReportSourceKeys lists the data sources actor may build a report on.
func ReportSourceKeys(actor Actor) []string {
	var out []string
	for _, k := range reportSourceOrder {
		if rule, _ := reportSources[k].rule(actor); rule != "0" {
			out = append(out, k)
		}
	}
	return out
}

// ReportRelationInfo is a relation path the builder offers, with the
// message keys of its steps.
type ReportRelationInfo struct {
	Path   string
	Labels []string
}

// builderDepth is how deep the builder offers relations; a definition may
// go one step further (maxReportDepth).
const builderDepth = 2

// ReportRelations lists the relation paths from source, up to the depth
// the builder offers, that visit no source twice and that actor may see.
func ReportRelations(source string, actor Actor) []ReportRelationInfo {
	s := reportSources[source]
	if s == nil || !s.selects {
		return nil
	}
	var out []ReportRelationInfo
	var walk func(s *reportSource, path string, labels []string, visited []string)
	walk = func(s *reportSource, path string, labels []string, visited []string) {
		if len(labels) >= builderDepth {
			return
		}
		for _, r := range s.relations {
			t := reportSources[r.target]
			if slices.Contains(visited, t.key) {
				continue
			}
			if rule, _ := t.rule(actor); rule == "0" {
				continue
			}
			p := r.name
			if path != "" {
				p = path + "." + r.name
			}
			l := append(slices.Clone(labels), "report.rel."+r.name)
			out = append(out, ReportRelationInfo{Path: p, Labels: l})
			walk(t, p, l, append(slices.Clone(visited), t.key))
		}
	}
	walk(s, "", nil, []string{s.key})
	return out
}

// ReportFieldInfo describes a field the builder offers.
type ReportFieldInfo struct {
	Path    string
	Labels  []string // message keys: the relation steps, then the field
	Type    string
	Aux     string
	Enum    []string
	EnumKey string
}

// Ops lists the operators of the field's type.
func (f ReportFieldInfo) Ops() []string { return typeOps[f.Type] }

// Aggs lists the aggregates that take the field.
func (f ReportFieldInfo) Aggs() []string {
	var out []string
	for _, fn := range ReportAggFuncs {
		if fn == "count" || slices.Contains(aggTypes[fn], f.Type) {
			out = append(out, fn)
		}
	}
	return out
}

// IsDate reports whether the field is a day or a time stamp.
func (f ReportFieldInfo) IsDate() bool { return f.Type == TypeDate || f.Type == TypeDatetime }

// ReportFields lists the fields of source and of the joined relations, for
// joins that are valid; invalid joins are left out.
func ReportFields(source string, joins []string, actor Actor) []ReportFieldInfo {
	s := reportSources[source]
	if s == nil {
		return nil
	}
	var out []ReportFieldInfo
	add := func(s *reportSource, prefix string, labels []string) {
		for _, f := range s.fields {
			path := f.name
			if prefix != "" {
				path = prefix + "." + f.name
			}
			out = append(out, ReportFieldInfo{Path: path, Labels: append(slices.Clone(labels), f.labelKey()), Type: f.typ,
				Aux: f.aux, Enum: f.enum, EnumKey: f.enumKey})
		}
	}
	add(s, "", nil)
	joins = expandJoins(joins)
	for _, r := range ReportRelations(source, actor) {
		if !slices.Contains(joins, r.Path) {
			continue
		}
		t := s
		for _, step := range strings.Split(r.Path, ".") {
			rel, _ := t.relation(step)
			t = reportSources[rel.target]
		}
		add(t, r.Path, r.Labels)
	}
	return out
}

// ReportMessageKeys lists every message key the whitelist and the built-in
// analyses put into a report (sources, relations, fields, columns), so a
// test can check that each is translated.
func ReportMessageKeys() []string {
	seen := map[string]bool{}
	for _, s := range reportSources {
		seen["report.source."+s.key] = true
		for _, f := range s.fields {
			seen[f.labelKey()] = true
		}
		for _, r := range s.relations {
			seen["report.rel."+r.name] = true
		}
	}
	for _, b := range builtinReports {
		seen["report.builtin."+b.key] = true
		for _, c := range b.columns {
			for _, l := range c.Labels {
				seen[l] = true
			}
		}
	}
	for _, k := range ReportErrorKeys {
		seen["report.err."+k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// --- compiling -------------------------------------------------------------

// ReportColumn is one column of a report's result.
type ReportColumn struct {
	Key     string   // stable within the report: g0, a1, c2 …
	Labels  []string // message keys, joined with " · " when shown
	Agg     string   // the aggregate, or ""
	Bucket  string   // how a date was grouped, or ""
	Type    string
	Aux     string
	EnumKey string
	// Sum marks a column whose values add up to a meaningful total.
	Sum bool
}

// CompiledReport is a definition turned into one SQL statement.
type CompiledReport struct {
	SQL     string
	Args    []any
	Columns []ReportColumn
	Groups  int // the leading columns that label a row (the group-by)
	Chart   string
	Limit   int // the row limit of the definition (0: none)
}

// CompileOptions are what a definition is compiled against.
type CompileOptions struct {
	Actor Actor
	Today time.Time // "now" in the business's time zone, for relative dates
	// Strict refuses sources and relations the actor may not see at all,
	// as the builder does; a saved report shared with such a user runs
	// for them with no rows instead.
	Strict bool
	// NoPreAggregate turns off the rewrite that aggregates the base rows
	// per related row before joining (see preAggregate); tests compare the
	// two.
	NoPreAggregate bool
}

type joined struct {
	src   *reportSource
	alias string
}

// cond is one condition of the WHERE clause; rel is the first relation
// of the field it is about ("" for the base source and its row rule).
type cond struct {
	sql  string
	args []any
	rel  string
}

// joinSQL is one LEFT JOIN with its arguments (the target's row rule).
// pre is the same join for a pre-aggregated query, whose base rows are
// grouped by the relation's key p.k.
type joinSQL struct {
	path string
	sql  string
	pre  string
	args []any
}

// aggPlan remembers an aggregate of a base field, for preAggregate.
type aggPlan struct {
	fn, expr string
	base     bool // over a base field or over rows
	typ      string
}

type compiler struct {
	def   ReportDef
	opt   CompileOptions
	base  *reportSource
	joins map[string]joined // by relation path; "" is the base
	list  []joinSQL
	conds []cond
	aggs  []aggPlan
}

// CompileReport checks a definition against the whitelist and builds its
// SQL. Any error is a *ReportDefError.
func CompileReport(def ReportDef, opt CompileOptions) (*CompiledReport, error) {
	c := &compiler{def: def, opt: opt, joins: map[string]joined{}}
	base := reportSources[def.Source]
	if base == nil || !base.selects {
		return nil, defErr("unknown_source", def.Source)
	}
	c.base = base
	if err := c.rule(base, "t0", ""); err != nil {
		return nil, err
	}
	c.joins[""] = joined{src: base, alias: "t0"}
	if base.base != "" {
		c.conds = append(c.conds, cond{sql: strings.ReplaceAll(base.base, "{t}", "t0")})
	}
	if err := c.addJoins(); err != nil {
		return nil, err
	}
	if len(def.Filters) > maxReportFilters {
		return nil, defErr("too_many_filters", "")
	}
	for _, f := range def.Filters {
		if err := c.filter(f); err != nil {
			return nil, err
		}
	}
	out := &CompiledReport{Limit: def.Limit}
	var selects, groupBy []string
	if len(def.GroupBy) > maxReportGroups {
		return nil, defErr("too_many_groups", "")
	}
	if len(def.Aggregates) > maxReportAggs {
		return nil, defErr("too_many_aggregates", "")
	}
	if len(def.Columns) > maxReportColumns {
		return nil, defErr("too_many_columns", "")
	}
	grouped := len(def.GroupBy) > 0
	if grouped && len(def.Columns) > 0 {
		return nil, defErr("columns_with_group", "")
	}
	if !grouped && len(def.Columns) > 0 && len(def.Aggregates) > 0 {
		return nil, defErr("columns_with_aggregates", "")
	}
	for i, g := range def.GroupBy {
		f, info, err := c.field(g.Field)
		if err != nil {
			return nil, err
		}
		expr := c.expr(f, g.Field)
		col := ReportColumn{Key: "g" + strconv.Itoa(i), Labels: info.Labels, Type: f.typ, Aux: f.aux, EnumKey: f.enumKey}
		if g.Bucket != "" {
			if f.typ != TypeDate && f.typ != TypeDatetime || !slices.Contains(ReportBuckets, g.Bucket) {
				return nil, defErr("bad_bucket", g.Field)
			}
			expr = c.bucket(expr, f.typ, g.Bucket)
			col.Bucket, col.Type = g.Bucket, TypeText
			if g.Bucket == "day" {
				col.Type = TypeDate
			}
		}
		selects = append(selects, expr)
		groupBy = append(groupBy, strconv.Itoa(i+1))
		out.Columns = append(out.Columns, col)
	}
	aggs := def.Aggregates
	if grouped && len(aggs) == 0 {
		aggs = []ReportAgg{{Func: "count"}}
	}
	for i, a := range aggs {
		expr, col, err := c.aggregate(a)
		if err != nil {
			return nil, err
		}
		col.Key = "a" + strconv.Itoa(i)
		selects = append(selects, expr)
		out.Columns = append(out.Columns, col)
		plan := aggPlan{fn: a.Func, expr: "*", base: !strings.Contains(a.Field, ".")}
		if a.Field != "" {
			f, _, err := c.field(a.Field)
			if err != nil {
				return nil, err
			}
			plan.expr, plan.typ = c.expr(f, a.Field), f.typ
		}
		c.aggs = append(c.aggs, plan)
	}
	for i, path := range def.Columns {
		f, info, err := c.field(path)
		if err != nil {
			return nil, err
		}
		selects = append(selects, c.expr(f, path))
		out.Columns = append(out.Columns, ReportColumn{Key: "c" + strconv.Itoa(i), Labels: info.Labels, Type: f.typ,
			Aux: f.aux, EnumKey: f.enumKey})
	}
	if len(selects) == 0 {
		return nil, defErr("no_columns", "")
	}
	out.Groups = len(def.GroupBy)
	switch def.Chart {
	case "", "table":
		out.Chart = "table"
	case "bar", "line", "pie":
		if !grouped {
			return nil, defErr("chart_needs_group", "")
		}
		out.Chart = def.Chart
	default:
		return nil, defErr("bad_chart", def.Chart)
	}
	if def.Limit < 0 || def.Limit > MaxReportLimit {
		return nil, defErr("bad_limit", strconv.Itoa(def.Limit))
	}
	var order string
	switch {
	case def.Sort != nil:
		if def.Sort.Column < 0 || def.Sort.Column >= len(out.Columns) {
			return nil, defErr("bad_sort", strconv.Itoa(def.Sort.Column))
		}
		order = strconv.Itoa(def.Sort.Column + 1)
		if def.Sort.Desc {
			order += " DESC"
		}
		if grouped {
			order += ", 1"
		} else {
			order += ", t0.id DESC"
		}
	case grouped && (out.Columns[0].Bucket != "" || out.Columns[0].Type == TypeDate):
		order = "1"
	case grouped:
		order = strconv.Itoa(len(def.GroupBy)+1) + " DESC, 1"
	case len(def.Columns) > 0:
		order = "t0.id DESC"
	}
	tail := ""
	if grouped {
		tail = " GROUP BY " + strings.Join(groupBy, ", ")
	}
	if order != "" {
		tail += " ORDER BY " + order
	}
	if rel := c.preAggregatable(); rel != "" && !opt.NoPreAggregate {
		out.SQL, out.Args = c.preAggregate(rel, selects[:len(def.GroupBy)], tail)
		return out, nil
	}
	var q strings.Builder
	q.WriteString("SELECT " + strings.Join(selects, ", ") + " FROM " + base.table + " t0")
	var args []any
	for _, j := range c.list {
		q.WriteString(j.sql)
		args = append(args, j.args...)
	}
	var where []string
	for _, w := range c.conds {
		where = append(where, w.sql)
		args = append(args, w.args...)
	}
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	q.WriteString(tail)
	out.SQL, out.Args = q.String(), args
	return out, nil
}

// preAggregatable tells whether the report can be computed by grouping
// the base rows per related row first, and through which first-level
// relation: when every group-by field lies beyond one to-one relation
// reached by a key of the base (activity → customer), every aggregate is
// over base fields and adds up (count, sum, min, max, avg), and every
// filter is on the base or beyond that relation. A year of activities per
// customer industry then looks up each customer once instead of once per
// record, which is most of the work.
func (c *compiler) preAggregatable() string {
	if len(c.def.GroupBy) == 0 {
		return ""
	}
	rel := ""
	for _, g := range c.def.GroupBy {
		first, _, ok := strings.Cut(g.Field, ".")
		if !ok || (rel != "" && first != rel) {
			return ""
		}
		rel = first
	}
	r, _ := c.base.relation(rel)
	if !strings.HasPrefix(r.on, "{t}.id = {p}.") {
		return ""
	}
	for _, a := range c.aggs {
		if !a.base || a.fn == "count_distinct" {
			return ""
		}
	}
	for _, w := range c.conds {
		if w.rel != "" && w.rel != rel {
			return ""
		}
	}
	return rel
}

// preAggregate writes the query of preAggregatable: the base rows grouped
// by the relation's key with partial aggregates, joined to the relation
// and grouped again.
func (c *compiler) preAggregate(rel string, groups []string, tail string) (string, []any) {
	r, _ := c.base.relation(rel)
	key := "t0." + strings.TrimPrefix(r.on, "{t}.id = {p}.")
	inner := []string{key + " AS k"}
	var outer []string
	for i, a := range c.aggs {
		p, q := "p"+strconv.Itoa(i), "q"+strconv.Itoa(i)
		switch a.fn {
		case "count":
			inner = append(inner, "COUNT("+a.expr+") AS "+p)
			outer = append(outer, "COALESCE(SUM(p."+p+"), 0)")
		case "sum":
			inner = append(inner, "SUM("+a.expr+") AS "+p)
			outer = append(outer, "COALESCE(SUM(p."+p+"), 0)")
		case "min", "max":
			inner = append(inner, strings.ToUpper(a.fn)+"("+a.expr+") AS "+p)
			outer = append(outer, strings.ToUpper(a.fn)+"(p."+p+")")
		case "avg":
			inner = append(inner, "SUM("+a.expr+") AS "+p, "COUNT("+a.expr+") AS "+q)
			scale := "1.0"
			if a.typ == TypeBool {
				scale = "100.0"
			}
			outer = append(outer, "SUM(p."+p+") * "+scale+" / SUM(p."+q+")")
		}
	}
	var args, innerArgs []any
	var innerWhere, outerWhere []string
	for _, w := range c.conds {
		if w.rel == "" {
			innerWhere = append(innerWhere, w.sql)
			innerArgs = append(innerArgs, w.args...)
		}
	}
	var b strings.Builder
	b.WriteString("SELECT " + strings.Join(append(slices.Clone(groups), outer...), ", ") + " FROM (SELECT " +
		strings.Join(inner, ", ") + " FROM " + c.base.table + " t0")
	if len(innerWhere) > 0 {
		b.WriteString(" WHERE " + strings.Join(innerWhere, " AND "))
	}
	b.WriteString(" GROUP BY " + key + ") p")
	args = append(args, innerArgs...)
	for _, j := range c.list {
		if j.path == rel || strings.HasPrefix(j.path, rel+".") {
			if j.path == rel {
				b.WriteString(j.pre)
			} else {
				b.WriteString(j.sql)
			}
			args = append(args, j.args...)
		}
	}
	for _, w := range c.conds {
		if w.rel == rel {
			outerWhere = append(outerWhere, w.sql)
			args = append(args, w.args...)
		}
	}
	if len(outerWhere) > 0 {
		b.WriteString(" WHERE " + strings.Join(outerWhere, " AND "))
	}
	b.WriteString(tail)
	return b.String(), args
}

// rule adds source s's row rule for alias: to WHERE for the base (path
// ""), to the ON clause of a join (returned through c.from by the caller).
func (c *compiler) rule(s *reportSource, alias, path string) error {
	rule, args := s.rule(c.opt.Actor)
	if rule == "0" && c.opt.Strict {
		if path == "" {
			return defErr("source_not_allowed", s.key)
		}
		return defErr("unknown_relation", path)
	}
	if rule == "" {
		return nil
	}
	if path == "" {
		c.conds = append(c.conds, cond{sql: strings.ReplaceAll(rule, "{t}", alias), args: args})
	}
	return nil
}

// addJoins validates the relation paths (adding the prefixes a path needs)
// and left-joins each, with the target's row rule in the ON clause: a
// related row the actor may not see shows as empty.
func (c *compiler) addJoins() error {
	paths := expandJoins(c.def.Joins)
	if len(paths) > maxReportJoins {
		return defErr("too_many_joins", "")
	}
	slices.SortStableFunc(paths, func(a, b string) int { return strings.Count(a, ".") - strings.Count(b, ".") })
	for i, path := range paths {
		steps := strings.Split(path, ".")
		if len(steps) > maxReportDepth {
			return defErr("too_deep", path)
		}
		parentPath := strings.Join(steps[:len(steps)-1], ".")
		parent := c.joins[parentPath]
		rel, ok := parent.src.relation(steps[len(steps)-1])
		if !ok {
			return defErr("unknown_relation", path)
		}
		target := reportSources[rel.target]
		// A path that comes back to a table it has passed through is a
		// cycle (issue → article → source issue): refused, not followed.
		visited := []string{c.joins[""].src.key}
		for j := 1; j < len(steps); j++ {
			visited = append(visited, c.joins[strings.Join(steps[:j], ".")].src.key)
		}
		if slices.Contains(visited, target.key) {
			return defErr("relation_cycle", path)
		}
		alias := "t" + strconv.Itoa(i+1)
		on := strings.NewReplacer("{t}", alias, "{p}", parent.alias).Replace(rel.on)
		pre := alias + ".id = p.k"
		rule, args := target.rule(c.opt.Actor)
		if rule == "0" && c.opt.Strict {
			return defErr("unknown_relation", path)
		}
		if rule != "" {
			r := " AND " + strings.ReplaceAll(rule, "{t}", alias)
			on, pre = on+r, pre+r
		}
		join := " LEFT JOIN " + target.table + " " + alias + " ON "
		c.list = append(c.list, joinSQL{path: path, sql: join + on, pre: join + pre, args: args})
		c.joins[path] = joined{src: target, alias: alias}
	}
	return nil
}

// expandJoins adds to the relation paths the shorter paths they pass
// through ("customer.owner" needs "customer"), once each, in order.
func expandJoins(joins []string) []string {
	var paths []string
	for _, p := range joins {
		parts := strings.Split(p, ".")
		for i := range parts {
			prefix := strings.Join(parts[:i+1], ".")
			if !slices.Contains(paths, prefix) {
				paths = append(paths, prefix)
			}
		}
	}
	return paths
}

// field resolves a field path against the joined sources.
func (c *compiler) field(path string) (reportField, ReportFieldInfo, error) {
	rel, name := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		rel, name = path[:i], path[i+1:]
	}
	j, ok := c.joins[rel]
	if !ok {
		return reportField{}, ReportFieldInfo{}, defErr("unknown_field", path)
	}
	f, ok := j.src.field(name)
	if !ok {
		return reportField{}, ReportFieldInfo{}, defErr("unknown_field", path)
	}
	var labels []string
	if rel != "" {
		for _, step := range strings.Split(rel, ".") {
			labels = append(labels, "report.rel."+step)
		}
	}
	return f, ReportFieldInfo{Path: path, Labels: append(labels, f.labelKey()), Type: f.typ}, nil
}

func (c *compiler) expr(f reportField, path string) string {
	rel := ""
	if i := strings.LastIndex(path, "."); i >= 0 {
		rel = path[:i]
	}
	return strings.ReplaceAll(f.expr, "{t}", c.joins[rel].alias)
}

// utcOffset is the business's offset from UTC now, for turning stamps into
// local days in SQL.
func (c *compiler) utcOffset() string {
	_, off := c.opt.Today.Zone()
	return strconv.Itoa(off/60) + " minutes"
}

func (c *compiler) bucket(expr, typ, b string) string {
	if typ == TypeDatetime {
		expr = "date(" + expr + ", '" + c.utcOffset() + "')"
	}
	switch b {
	case "month":
		return "substr(" + expr + ", 1, 7)"
	case "quarter":
		return "(substr(" + expr + ", 1, 4) || '-Q' || ((CAST(substr(" + expr + ", 6, 2) AS INTEGER) + 2) / 3))"
	case "year":
		return "substr(" + expr + ", 1, 4)"
	}
	return expr
}

func (c *compiler) aggregate(a ReportAgg) (string, ReportColumn, error) {
	col := ReportColumn{Agg: a.Func, Type: TypeInt}
	if !slices.Contains(ReportAggFuncs, a.Func) {
		return "", col, defErr("unknown_aggregate", a.Func)
	}
	if a.Field == "" {
		if a.Func != "count" {
			return "", col, defErr("aggregate_needs_field", a.Func)
		}
		col.Labels, col.Sum = []string{"report.field.rows"}, true
		return "COUNT(*)", col, nil
	}
	f, info, err := c.field(a.Field)
	if err != nil {
		return "", col, err
	}
	col.Labels = info.Labels
	e := c.expr(f, a.Field)
	switch a.Func {
	case "count":
		col.Sum = true
		return "COUNT(" + e + ")", col, nil
	case "count_distinct":
		if !slices.Contains(aggTypes[a.Func], f.typ) {
			return "", col, defErr("aggregate_not_for_type", a.Field)
		}
		return "COUNT(DISTINCT " + e + ")", col, nil
	}
	if !slices.Contains(aggTypes[a.Func], f.typ) {
		return "", col, defErr("aggregate_not_for_type", a.Field)
	}
	col.Type, col.Aux, col.EnumKey = f.typ, f.aux, f.enumKey
	switch a.Func {
	case "sum":
		if f.typ == TypeBool {
			col.Type = TypeInt
		}
		col.Sum = true
		return "COALESCE(SUM(" + e + "), 0)", col, nil
	case "avg":
		switch f.typ {
		case TypeBool:
			col.Type = TypePercent
			return "AVG(" + e + ") * 100.0", col, nil
		case TypeInt:
			col.Type = TypeFloat
		}
		return "AVG(" + e + ")", col, nil
	case "min":
		return "MIN(" + e + ")", col, nil
	}
	return "MAX(" + e + ")", col, nil
}

// filter turns one condition into SQL with bound values.
func (c *compiler) filter(flt ReportFilter) error {
	f, _, err := c.field(flt.Field)
	if err != nil {
		return err
	}
	if !slices.Contains(ReportOps, flt.Op) {
		return defErr("unknown_operator", flt.Op)
	}
	if !slices.Contains(typeOps[f.typ], flt.Op) {
		return defErr("operator_not_for_type", flt.Field)
	}
	e := c.expr(f, flt.Field)
	bad := defErr("bad_value", flt.Field)
	rel, _, _ := strings.Cut(flt.Field, ".")
	if !strings.Contains(flt.Field, ".") {
		rel = ""
	}
	add := func(sql string, args ...any) error {
		c.conds = append(c.conds, cond{sql: sql, args: args, rel: rel})
		return nil
	}
	switch flt.Op {
	case "empty":
		if f.typ == TypeText {
			return add("(" + e + " IS NULL OR " + e + " = '')")
		}
		return add(e + " IS NULL")
	case "not_empty":
		if f.typ == TypeText {
			return add("(" + e + " IS NOT NULL AND " + e + " <> '')")
		}
		return add(e + " IS NOT NULL")
	case "is_true":
		return add("COALESCE(" + e + ", 0) <> 0")
	case "is_false":
		return add("COALESCE(" + e + ", 0) = 0")
	}
	switch f.typ {
	case TypeText:
		v := strings.TrimSpace(flt.Value)
		if v == "" || len([]rune(v)) > maxReportValueLen {
			return bad
		}
		switch flt.Op {
		case "eq":
			return add(e+" = ?", v)
		case "ne":
			return add("("+e+" IS NULL OR "+e+" <> ?)", v)
		case "contains":
			return add(e+` LIKE ? ESCAPE '\'`, "%"+escapeLike(v)+"%")
		case "not_contains":
			return add("("+e+" IS NULL OR "+e+` NOT LIKE ? ESCAPE '\')`, "%"+escapeLike(v)+"%")
		case "starts_with":
			return add(e+` LIKE ? ESCAPE '\'`, escapeLike(v)+"%")
		}
	case TypeInt, TypeFloat, TypeMoney:
		parse := func(s string) (any, bool) {
			s = strings.TrimSpace(s)
			switch f.typ {
			case TypeInt:
				n, err := strconv.ParseInt(s, 10, 64)
				return n, err == nil
			case TypeMoney:
				if s == "" {
					return nil, false
				}
				n, ok := ParseFen(s)
				return n, ok
			}
			x, err := strconv.ParseFloat(s, 64)
			return x, err == nil && x == x && x < 1e300 && x > -1e300
		}
		v, ok := parse(flt.Value)
		if !ok {
			return bad
		}
		if flt.Op == "between" {
			v2, ok := parse(flt.Value2)
			if !ok {
				return bad
			}
			return add(e+" BETWEEN ? AND ?", v, v2)
		}
		return add(e+" "+sqlCompare[flt.Op]+" ?", v)
	case TypeDate, TypeDatetime:
		return c.dateFilter(f, e, flt, add)
	case TypeAux:
		parse := func(s string) (int64, bool) {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			return n, err == nil && n > 0
		}
		if flt.Op == "in" {
			if len(flt.Values) == 0 || len(flt.Values) > maxReportInValues {
				return bad
			}
			args := make([]any, len(flt.Values))
			for i, s := range flt.Values {
				n, ok := parse(s)
				if !ok {
					return bad
				}
				args[i] = n
			}
			return add(e+" IN ("+placeholders(len(args))+")", args...)
		}
		n, ok := parse(flt.Value)
		if !ok {
			return bad
		}
		if flt.Op == "ne" {
			return add("("+e+" IS NULL OR "+e+" <> ?)", n)
		}
		return add(e+" = ?", n)
	case TypeEnum:
		if flt.Op == "in" {
			if len(flt.Values) == 0 || len(flt.Values) > maxReportInValues {
				return bad
			}
			args := make([]any, len(flt.Values))
			for i, s := range flt.Values {
				if !slices.Contains(f.enum, s) {
					return bad
				}
				args[i] = s
			}
			return add(e+" IN ("+placeholders(len(args))+")", args...)
		}
		if !slices.Contains(f.enum, flt.Value) {
			return bad
		}
		if flt.Op == "ne" {
			return add("("+e+" IS NULL OR "+e+" <> ?)", flt.Value)
		}
		return add(e+" = ?", flt.Value)
	}
	return defErr("operator_not_for_type", flt.Field)
}

var sqlCompare = map[string]string{"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

// dateFilter compares days. A time stamp field is compared with the UTC
// stamps of the local midnights that bound the days.
func (c *compiler) dateFilter(f reportField, e string, flt ReportFilter, add func(string, ...any) error) error {
	bad := defErr("bad_value", flt.Field)
	loc := c.opt.Today.Location()
	today := c.opt.Today
	var r DateRange
	switch flt.Op {
	case "period":
		var ok bool
		if r, ok = ResolvePeriod(flt.Value, today); !ok || flt.Value == "" {
			return bad
		}
		if r.Open() {
			return nil
		}
	case "last_days", "next_days":
		n, err := strconv.Atoi(strings.TrimSpace(flt.Value))
		if err != nil || n < 1 || n > 3660 {
			return bad
		}
		d := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
		if flt.Op == "last_days" {
			r = DateRange{From: day(d.AddDate(0, 0, 1-n)), To: day(d)}
		} else {
			r = DateRange{From: day(d), To: day(d.AddDate(0, 0, n-1))}
		}
	case "between":
		if !ValidDay(flt.Value) || !ValidDay(flt.Value2) {
			return bad
		}
		r = DateRange{From: flt.Value, To: flt.Value2}
	default:
		if !ValidDay(flt.Value) {
			return bad
		}
		v := flt.Value
		switch flt.Op {
		case "eq":
			r = DateRange{From: v, To: v}
		case "lt":
			if f.typ == TypeDate {
				return add(e+" < ?", v)
			}
			return add(e+" < ?", dayStart(v, loc))
		case "le":
			r = DateRange{To: v}
		case "gt":
			if f.typ == TypeDate {
				return add(e+" > ?", v)
			}
			return add(e+" >= ?", nextDayStart(v, loc))
		case "ge":
			r = DateRange{From: v}
		}
	}
	if r.From != "" {
		if f.typ == TypeDate {
			add(e+" >= ?", r.From)
		} else {
			add(e+" >= ?", dayStart(r.From, loc))
		}
	}
	if r.To != "" {
		if f.typ == TypeDate {
			add(e+" <= ?", r.To)
		} else {
			add(e+" < ?", nextDayStart(r.To, loc))
		}
	}
	return nil
}
