package views

import "strconv"

// recordBases are the URL prefixes of the records' screens: the one place a
// record's address is spelled, for Go (Path) and templates ({{path "issue" .ID}}).
var recordBases = map[string]string{
	"customer": "/customers", "prospect": "/prospects", "contact": "/contacts", "activity": "/activities",
	"plan": "/plans", "opportunity": "/opportunities", "competitor": "/competitors", "campaign": "/campaigns",
	"issue": "/issues", "article": "/kb", "report": "/reports", "import": "/import", "notification": "/notifications",
}

// Path is the address of a record's screen, with optional further
// segments: Path("issue", 12) is /issues/12, Path("import", 3, "map") is
// /import/3/map. An unknown kind panics: it is a programming error that
// the first test through the route finds.
func Path(kind string, id int64, more ...string) string {
	base, ok := recordBases[kind]
	if !ok {
		panic("views.Path: unknown record kind " + strconv.Quote(kind))
	}
	p := base + "/" + strconv.FormatInt(id, 10)
	for _, m := range more {
		p += "/" + m
	}
	return p
}

// ListPath is the address of the list of a record kind: Path's prefix.
func ListPath(kind string) string {
	base, ok := recordBases[kind]
	if !ok {
		panic("views.ListPath: unknown record kind " + strconv.Quote(kind))
	}
	return base
}
