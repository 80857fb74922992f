package views

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"keyuan/backup"
	"keyuan/models"
	"keyuan/search"
	"keyuan/sheet"
)

func loadCatalog(t *testing.T) Catalog {
	t.Helper()
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogComplete fails when a key exists in one language and not in
// another.
func TestCatalogComplete(t *testing.T) {
	c := loadCatalog(t)
	for _, lang := range Languages {
		if len(c[lang]) == 0 {
			t.Fatalf("no messages for %s", lang)
		}
	}
	for lang, keys := range c.Missing() {
		if len(keys) > 0 {
			t.Errorf("%s lacks %d keys: %v", lang, len(keys), keys)
		}
	}
}

func TestMissingDetectsAGap(t *testing.T) {
	c := Catalog{"zh": {"a": "甲", "b": "乙"}, "en": {"a": "A", "c": "C"}}
	m := c.Missing()
	if !slices.Equal(m["zh"], []string{"c"}) || !slices.Equal(m["en"], []string{"b"}) {
		t.Errorf("Missing = %v", m)
	}
}

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestCatalogMessages: no empty message, and every language formats the
// same arguments (a %d in one and %s in another would print garbage).
func TestCatalogMessages(t *testing.T) {
	c := loadCatalog(t)
	for key, zh := range c["zh"] {
		for _, lang := range Languages {
			msg, ok := c[lang][key]
			if !ok {
				continue // TestCatalogComplete reports it
			}
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s %s is empty", lang, key)
			}
			if got, want := verb.FindAllString(msg, -1), verb.FindAllString(zh, -1); !slices.Equal(got, want) {
				t.Errorf("%s %s has verbs %v, zh has %v", lang, key, got, want)
			}
		}
	}
}

// usedKeys collects what the code asks the catalog for: literal keys, and
// dynamic families ("status." + x) whose members the test must enumerate.
type usedKeys struct {
	keys     map[string][]string // key → where it is used
	families map[string][]string // prefix → where it is used
}

func (u *usedKeys) key(k, where string) { u.keys[k] = append(u.keys[k], where) }
func (u *usedKeys) family(prefix, where string) {
	u.families[prefix] = append(u.families[prefix], where)
}

var (
	// every call of t: {{t …}}, (t …) or {{$x := t …}}; group 1 is its first argument
	tplCall = regexp.MustCompile(`(?:\{\{-?|\(|:?=)\s*t\s+(\S+)`)
	// {{t "key"}}, (t "key" …)
	tplKey = regexp.MustCompile(`^"([^"]+)"`)
	// (t (print "prefix." .X))
	tplFamily = regexp.MustCompile(`\bt\s+\(print\s+"([^"]+)"`)
	// {{role .Role}}: "role." + the role's key (views.Engine.roleName)
	tplRole = regexp.MustCompile(`(?:\{\{-?|\()\s*role\s`)
	// (t ($k.Key "list.title")): a key per customer kind
	tplKindKey = regexp.MustCompile(`\bt\s+\(\$?[\w.]*\.Key\s+"([^"]+)"`)
)

var customerKindNames = []string{"customer", "prospect"}

func scanTemplates(t *testing.T, u *usedKeys) {
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		if err != nil {
			return err
		}
		src := string(b)
		for _, m := range tplCall.FindAllStringSubmatch(src, -1) {
			arg := m[1]
			switch {
			case tplKey.MatchString(arg):
				u.key(tplKey.FindStringSubmatch(arg)[1], p)
			case arg == "(print", strings.HasSuffix(arg, ".Key"):
				// read below with their whole expression
			case strings.HasPrefix(arg, "."):
				// a key chosen by the handler (field errors, filter labels);
				// the handler scan checks those literals
			default:
				t.Errorf("%s: t called with %q, which this test cannot check", p, arg)
			}
		}
		for _, m := range tplFamily.FindAllStringSubmatch(src, -1) {
			u.family(m[1], p)
		}
		if tplRole.MatchString(src) {
			u.family("role.", p)
		}
		for _, m := range tplKindKey.FindAllStringSubmatch(src, -1) {
			for _, k := range customerKindNames {
				u.key(k+"."+m[1], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// keyLiteral matches a string that looks like a message key.
var keyLiteral = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z_]+)+$`)

// scanHandlers reads every handler source file. Any string literal shaped
// like a key of a known namespace is a key (field errors, flashes, error
// pages, s.t(c, …)); "prefix." + x is a family; k.Key("x") is a key per kind.
func scanHandlers(t *testing.T, u *usedKeys, namespaces map[string]bool) {
	files, err := filepath.Glob("../handlers/*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no handler sources found")
	}
	fset := token.NewFileSet()
	kindSuffix := map[ast.Node]bool{} // the "x" of k.Key("x") is not a key by itself
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BinaryExpr:
				if lit, ok := stringLit(x.X); ok && x.Op == token.ADD && strings.HasSuffix(lit, ".") && namespaces[strings.Split(lit, ".")[0]] {
					u.family(lit, fset.Position(x.Pos()).String())
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Key" && len(x.Args) == 1 {
					if lit, ok := stringLit(x.Args[0]); ok {
						kindSuffix[x.Args[0]] = true
						for _, k := range customerKindNames {
							u.key(k+"."+lit, fset.Position(x.Pos()).String())
						}
					}
				}
			case *ast.BasicLit:
				if lit, ok := stringLit(x); ok && !kindSuffix[x] && keyLiteral.MatchString(lit) && namespaces[strings.Split(lit, ".")[0]] {
					u.key(lit, fset.Position(x.Pos()).String())
				}
			}
			return true
		})
	}
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// auditVocabulary reads the models sources for the field names and actions
// that audit entries carry, which the card's history shows as
// "field."+name and "history.action."+action.
func auditVocabulary(t *testing.T) (fields, actions []string) {
	files, err := filepath.Glob("../models/*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seenF, seenA := map[string]bool{}, map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				// []fieldPair{{"name", old, new}, …}
				if arr, ok := x.Type.(*ast.ArrayType); ok {
					if id, ok := arr.Elt.(*ast.Ident); ok && id.Name == "fieldPair" {
						for _, el := range x.Elts {
							if pair, ok := el.(*ast.CompositeLit); ok && len(pair.Elts) == 3 {
								if lit, ok := stringLit(pair.Elts[0]); ok {
									seenF[lit] = true
								}
							}
						}
					}
				}
				// Change{Field: "name", …}
				for _, el := range x.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Field" {
							if lit, ok := stringLit(kv.Value); ok {
								seenF[lit] = true
							}
						}
					}
				}
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "recordAudit" && len(x.Args) == 8 {
					if lit, ok := stringLit(x.Args[6]); ok {
						seenA[lit] = true
					}
				}
			}
			return true
		})
	}
	for f := range seenF {
		fields = append(fields, f)
	}
	for a := range seenA {
		actions = append(actions, a)
	}
	sort.Strings(fields)
	sort.Strings(actions)
	return fields, actions
}

func numbers(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// TestUsedKeysExist: every key the templates and handlers use exists in every
// language, including every member of the dynamic families.
func TestUsedKeysExist(t *testing.T) {
	c := loadCatalog(t)
	namespaces := map[string]bool{}
	for k := range c["zh"] {
		namespaces[strings.Split(k, ".")[0]] = true
	}
	u := &usedKeys{keys: map[string][]string{}, families: map[string][]string{}}
	scanTemplates(t, u)
	scanHandlers(t, u, namespaces)
	if len(u.keys) < 100 {
		t.Fatalf("found only %d keys in use; is the scanner broken?", len(u.keys))
	}
	// The scanner must see each way the code names a key, or it checks nothing.
	for _, k := range []string{"validation.required", "flash.saved", "error.not_found", "login.throttled", // handlers
		"customer.list.title", "prospect.new.title", "app.name", "action.save"} { // k.Key(…), templates
		if len(u.keys[k]) == 0 {
			t.Errorf("scanner did not find %s", k)
		}
	}
	for _, f := range []string{"history.action.", "field.", "status.", "aux.type.", "role.", "kind.", "customer.dup_reason."} {
		if len(u.families[f]) == 0 {
			t.Errorf("scanner did not find the family %s", f)
		}
	}

	var roles []string
	for _, d := range models.DefaultRoles() {
		roles = append(roles, string(d.Key))
	}
	fields, actions := auditVocabulary(t)
	if !slices.Contains(fields, "phone") || !slices.Contains(actions, "convert") {
		t.Fatalf("audit vocabulary scan looks broken: %v %v", fields, actions)
	}
	// Every computed key prefix and what it may be followed by. A new family
	// must be added here, or this test fails.
	families := map[string][]string{
		"status.":              append(slices.Clone(models.CustomerStatuses), "converted"),
		"aux.type.":            models.AuxTypes,
		"role.":                roles,
		"kind.":                append(slices.Clone(models.DocKinds), "contact"), // search results name contacts too
		"issue.status.":        models.IssueStatuses,
		"issue.priority.":      models.IssuePriorities,
		"issue.channel.":       models.IssueChannels,
		"issue.view.":          models.IssueViews,
		"issue.empty.":         models.IssueViews,
		"kb.sort.":             {"updated", "helped", "views"},
		"roles.action.":        strs(models.Actions),
		"roles.scope.":         strs(models.Scopes),
		"roles.summary.":       append(strs(models.Scopes), "on"),
		"roles.module.":        matrixModules(),
		"search.state.":        search.States,
		"search.reason.":       search.Reasons,
		"numbering.reset.":     models.ResetPeriods,
		"lang.":                Languages,
		"customer.dup_reason.": {"name", "phone", "email"},
		"history.action.":      actions,
		"field.":               fields,
		"campaign.status.":     models.CampaignStatuses,
		"campaign.how.":        models.TargetNotifyMethods,
		"security.kind.":       models.SecurityEventKinds,
		"campaign.mail.":       {"none", "queued", "sending", "sent", "failed", "opened", "unsubscribed", "attended"},
		"mailadmin.tls.":       {"starttls", "tls", "none"},
		"import.kind.":         models.ImportKinds,
		"import.dup.":          {"skip", "update", "create"},
		"import.match.":        {"code", "name", "phone", "email"},
		"import.state.":        {"draft", "ready", "running", "done", "failed", "cancelled"},
		"import.outcome.":      {"created", "updated", "skipped", "failed", "duplicate", "duplicate_in_file", "not_yours", "exists_as_customer", "exists_as_prospect"},
		"import.date_order.":   {"mdy", "dmy"},
		"suppress.reason.":     {"bounced", "unsubscribed"},
		"import.field.":        importFieldKeys(),
		"import.problem.": {sheet.ProblemEmpty, sheet.ProblemEncoding, sheet.ProblemQuoting, sheet.ProblemTooManyRows,
			sheet.ProblemTooManyCols, sheet.ProblemNotXLSX, sheet.ProblemTooLarge, sheet.ProblemNoSheet, sheet.ProblemFormat,
			sheet.ProblemCellTooLarge, "no_rows", "internal"},
		// Business activity management (activities.json).
		"plan.status.":        models.PlanStatuses,
		"plan.origin.":        models.PlanOrigins,
		"plan.period.":        {"today", "week", "month"},
		"opportunity.status.": models.OpportunityStatuses,
		"remind.":             numbers(models.RemindChoices...),
		"calendar.view.":      {"day", "week", "month", "year"},
		"weekday.":            numbers(1, 2, 3, 4, 5, 6, 7),
		"month.":              numbers(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
		"month_year.":         numbers(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
		"jobs.job.": {"plan_reminders", "session_cleanup", "scheduled_reports", "manager_digest", "deliver_mail",
			"queue_scheduled_campaigns", "backup", "purge_trash", "deliver_webhooks", "issue_overdue_notices", "clean_files"},
		"trash.kind.":   slices.Sorted(maps.Keys(models.TrashKinds)),
		"backup.phase.": backup.Phases,
		"merge.reason.": models.DupReasons,
		"jobs.trigger.": {"schedule", "manual"},
		// Webhooks and notices (webhooks.json).
		"webhook.kind.":   models.WebhookKinds,
		"webhook.event.":  models.WebhookEvents,
		"webhook.status.": {"queued", "sending", "delivered", "failed"},
		"notice.kind.":    models.Notices,
		"notice.channel.": models.NoticeChannels,
		// CRM reports (reports.json).
		"report.source.":      models.ReportSourceKeys(models.Actor{Role: models.RoleAdmin}),
		"report.about.":       models.BuiltinKeys(),
		"report.category.":    append(slices.Clone(models.BuiltinCategories), "custom"),
		"report.period.":      append(slices.Clone(models.Periods), "custom"),
		"report.chart.":       models.ReportCharts,
		"report.op.":          models.ReportOps,
		"report.agg.":         models.ReportAggFuncs,
		"report.agg_col.":     models.ReportAggFuncs,
		"report.bucket.":      models.ReportBuckets,
		"report.bucket_col.":  models.ReportBuckets,
		"report.freq.":        models.ScheduleFrequencies,
		"report.digest.freq.": models.DigestFrequencies,
		"report.weekday.":     numbers(0, 1, 2, 3, 4, 5, 6),
	}
	// Keys the report whitelist and the built-in analyses hand to the
	// screens: sources, relations, fields, columns, errors.
	for _, k := range models.ReportMessageKeys() {
		u.key(k, "models.ReportMessageKeys")
	}
	// History shows plan and opportunity statuses too.
	families["status."] = append(families["status."], append(slices.Clone(models.PlanStatuses), models.OpportunityStatuses...)...)
	for prefix, where := range u.families {
		members, ok := families[prefix]
		if !ok {
			t.Errorf("computed key %q… used at %v: add its members to this test", prefix, where)
			continue
		}
		for _, m := range members {
			u.key(prefix+m, "family "+prefix)
		}
	}
	var missing []string
	for key, where := range u.keys {
		for _, lang := range Languages {
			if !c.Has(lang, key) {
				missing = append(missing, lang+" "+key+" (used at "+where[0]+")")
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Error("missing message: " + m)
	}
}

func TestMatchLanguage(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "zh"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"en-US,en;q=0.9", "en"},
		{"EN-gb", "en"},
		{"zh-Hant-TW", "zh"},
		{"fr-FR,fr;q=0.9", "zh"},
		{"fr-FR, en;q=0.5", "en"},
		{"en;q=0.5, zh;q=0.8", "zh"},
		{"en; q=0.9 , zh ; q=0.1", "en"},
		{"de, zh;q=0.3, en;q=0.7", "en"},
		{"*", "zh"},
		{"en;q=abc, zh;q=0.1", "zh"},
		// q=0 means "not acceptable".
		{"fr, en;q=0", "zh"},
		{"en;q=0, zh;q=0.1", "zh"},
		{strings.Repeat("x,", 5000) + "en", "en"},
	}
	for _, tt := range tests {
		name := tt.header
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			if got := MatchLanguage(tt.header); got != tt.want {
				t.Errorf("MatchLanguage(%q) = %q, want %q", name, got, tt.want)
			}
		})
	}
}

func TestCatalogT(t *testing.T) {
	c := Catalog{"zh": {"a": "共 %d 条", "only.zh": "只有中文"}, "en": {"a": "%d in all"}}
	tests := []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"zh", "a", []any{3}, "共 3 条"},
		{"en", "a", []any{3}, "3 in all"},
		{"xx", "a", []any{3}, "共 3 条"},
		{"en", "only.zh", nil, "只有中文"},      // falls back to the default language
		{"en", "nope.key", nil, "nope.key"}, // a missing key shows itself, visibly
	}
	for _, tt := range tests {
		if got := c.T(tt.lang, tt.key, tt.args...); got != tt.want {
			t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
}

// importFieldKeys lists every import target field of every kind.
func importFieldKeys() []string {
	var out []string
	for _, kind := range models.ImportKinds {
		for _, f := range models.ImportFields(kind) {
			out = append(out, f.Key)
		}
	}
	return out
}

// strs spells a list of named strings (actions, scopes) as strings.
func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// matrixModules are the modules of the permission matrix.
func matrixModules() []string {
	var out []string
	for _, r := range models.Matrix {
		out = append(out, string(r.Module))
	}
	return out
}
