package jobs

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"keyuan/models"
	"keyuan/sheet"
)

// Converter turns a file row into a record, checking every field the way
// the forms do. Errors are "message key|field key" strings.
type Converter struct {
	job    *models.ImportJob
	actor  models.Actor
	aux    models.AuxLookup
	col    map[string]int
	owners map[string]int64 // username and display name → user id
	byCode map[string]int64 // contact imports: customers by code
	byName map[string]int64 // contact imports: customers by name
}

// NewConverter loads what converting needs: items, users, customers.
func NewConverter(ctx context.Context, db *models.DB, actor models.Actor, job *models.ImportJob) (*Converter, error) {
	aux, err := db.AuxLookupFor(ctx, "zh")
	if err != nil {
		return nil, err
	}
	c := &Converter{job: job, actor: actor, aux: aux, col: map[string]int{}, owners: map[string]int64{}}
	for i, key := range job.Mapping {
		if key != "" {
			c.col[key] = i
		}
	}
	users, err := db.ActiveUsersWith(ctx, models.PermCustomersCreate)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		c.owners[strings.ToLower(u.Username)] = u.ID
		c.owners[u.DisplayName] = u.ID
	}
	if job.Kind == "contact" {
		if c.byCode, c.byName, err = db.ContactTargets(ctx, actor); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Converter) cell(row []string, key string) string {
	i, ok := c.col[key]
	if !ok || i >= len(row) {
		return ""
	}
	return row[i]
}

// item resolves a category value through the wizard's choices, then by name.
// Values marked "create" resolve to -1 until the job starts and creates them.
func (c *Converter) item(field models.ImportField, v string) (int64, bool) {
	if choice, ok := c.job.Values[field.Key][v]; ok {
		switch {
		case choice.ItemID != 0:
			return choice.ItemID, c.aux.Name(choice.ItemID) != ""
		case choice.Create:
			return -1, true
		default:
			return 0, true // chosen: leave empty
		}
	}
	id := c.aux.MatchAuxValue(field.AuxType, v)
	return id, id != 0
}

// Convert checks and converts one row. A row fails (errs) only for what the
// record cannot do without: a name, a customer for a contact, a readable
// row. A bad optional value (a phone, an e-mail, an unknown category, a
// second contact's field) is left empty and the row imported, with a warning
// in ImportRow.Warnings that keeps the original value for the report.
func (c *Converter) Convert(row []string, r *sheet.Reader) (models.ImportRow, []string) {
	if sheet.DefaultLimits.CellTooLong(row) >= 0 {
		return models.ImportRow{}, []string{"import.err.cell_too_long"}
	}
	var w warnings
	var ir models.ImportRow
	var errs []string
	if c.job.Kind == "contact" {
		ir, errs = c.convertContact(row, &w)
	} else {
		ir, errs = c.convertCustomer(row, &w)
	}
	ir.Warnings = w.list
	return ir, errs
}

// warnings collects "message key|field|original value" entries; the value is
// query-escaped, so the separators of a reason list never occur in it.
// prefix is put before the field names refused adds ("contact_").
type warnings struct {
	list   []string
	prefix string
}

func (w *warnings) add(key, field, original string) {
	w.list = append(w.list, key+"|"+field+"|"+url.QueryEscape(original))
}

// lostLeadingZero: nine to eleven digits that are neither a mobile number
// (11 digits from 1) nor start with 0 look like a Chinese landline number
// whose leading 0 went when a spreadsheet stored it as a number.
func lostLeadingZero(v string) bool {
	if len(v) < 9 || len(v) > 11 || v[0] == '0' || (len(v) == 11 && v[0] == '1') {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (c *Converter) convertCustomer(row []string, w *warnings) (models.ImportRow, []string) {
	var errs []string
	cu := models.Customer{
		Kind: c.job.Kind, Code: c.cell(row, "code"), Name: c.cell(row, "name"), ShortName: c.cell(row, "short_name"),
		Address: c.cell(row, "address"), Phone: c.cell(row, "phone"), Email: c.cell(row, "email"),
		Website: c.cell(row, "website"), Notes: c.cell(row, "notes"), Status: "active",
	}
	// The model's own rules, as the form applies them: a refused name fails
	// the row, a refused optional value is left empty with a warning.
	errs = append(errs, w.refused(cu.Validate(), cu.TextField, "name")...)
	if lostLeadingZero(cu.Phone) {
		w.add("import.warn.leading_zero", "phone", "")
	}
	for _, f := range models.ImportFields(c.job.Kind) {
		v := c.cell(row, f.Key)
		if f.AuxType == "" || v == "" {
			continue
		}
		vals := []string{v}
		if f.Multi {
			vals = models.SplitMulti(v)
		}
		for _, one := range vals {
			id, ok := c.item(f, one)
			if !ok {
				w.add("import.err.unknown_value", f.Key, one)
				continue
			}
			switch f.Key {
			case "industry":
				cu.IndustryID = id
			case "source":
				cu.SourceID = id
			case "grade":
				cu.GradeID = id
			case "region":
				cu.RegionID = id
			case "stage":
				cu.StageID = id
			case "traits":
				if id != 0 {
					cu.TraitIDs = append(cu.TraitIDs, id)
				}
			}
		}
	}
	// A salesperson's import is always theirs; others may name an owner,
	// and an owner nobody knows leaves the record with the importer.
	cu.OwnerID = c.actor.ID
	if o := c.cell(row, "owner"); o != "" && c.actor.SeesBeyondOwn(models.ModCustomers) {
		id, ok := c.owners[o]
		if !ok {
			id, ok = c.owners[strings.ToLower(o)]
		}
		switch {
		case !ok:
			w.add("import.err.unknown_owner", "owner", o)
		case !c.actor.Sees(models.ModCustomers, id):
			// A supervisor's import hands records only to their team.
			w.add("import.err.owner_outside_scope", "owner", o)
		default:
			cu.OwnerID = id
		}
	}
	k := models.Contact{Name: c.cell(row, "contact_name"), Title: c.cell(row, "contact_title"),
		Mobile: c.cell(row, "contact_mobile"), Email: c.cell(row, "contact_email")}
	c.contactFields(&k, w, "contact_")
	if k.Name == "" && (k.Title != "" || k.Mobile != "" || k.Email != "") {
		// A contact needs a name: the row's customer is imported without it.
		w.add("import.warn.contact_without_name", "contact_name", strings.Join(nonEmpty(k.Title, k.Mobile, k.Email), " "))
		k = models.Contact{}
	}
	if models.TooLong(k.Name, 100) {
		w.add("validation.too_long", "contact_name", k.Name)
		k = models.Contact{}
	}
	return models.ImportRow{Action: "create", Customer: cu, Contact: k}, errs
}

// refused turns the model's field errors into the importer's outcome: an
// error of a required field fails the row ("key|field"); any other leaves
// that value empty with a warning that keeps the original.
func (w *warnings) refused(errs models.FieldErrors, field func(string) *string, required ...string) []string {
	var failed []string
	for _, name := range errs.Fields() {
		key := errs[name]
		if slices.Contains(required, name) {
			failed = append(failed, key+"|"+name)
			continue
		}
		if v := field(name); v != nil {
			w.add(key, w.prefix+name, *v)
			*v = ""
		} else {
			failed = append(failed, key+"|"+w.prefix+name) // not a value one can leave empty
		}
	}
	return failed
}

// contactFields checks a contact's optional fields with the model's rules,
// leaving bad ones empty; the name is the caller's to judge.
func (c *Converter) contactFields(k *models.Contact, w *warnings, prefix string) {
	errs := k.Validate()
	delete(errs, "name")
	w.prefix = prefix
	w.refused(errs, k.TextField)
	w.prefix = ""
	for _, f := range []struct {
		name, v string
	}{{"mobile", k.Mobile}, {"phone", k.Phone}} {
		if lostLeadingZero(f.v) {
			w.add("import.warn.leading_zero", prefix+f.name, "")
		}
	}
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (c *Converter) convertContact(row []string, w *warnings) (models.ImportRow, []string) {
	var errs []string
	k := models.Contact{Name: c.cell(row, "name"), Title: c.cell(row, "title"), Phone: c.cell(row, "phone"),
		Mobile: c.cell(row, "mobile"), Email: c.cell(row, "email"), Birthday: normDate(c.cell(row, "birthday"), c.job.DateOrder)}
	switch strings.ToLower(c.cell(row, "primary")) {
	case "是", "y", "yes", "true", "1", "√", "主要":
		k.IsPrimary = true
	}
	if key, bad := k.Validate()["name"]; bad {
		errs = append(errs, key+"|name")
	}
	c.contactFields(&k, w, "")
	code, name := c.cell(row, "customer_code"), c.cell(row, "customer")
	switch {
	case code != "":
		k.CustomerID = c.byCode[code]
	case name != "":
		k.CustomerID = c.byName[name]
	}
	if k.CustomerID == 0 {
		errs = append(errs, "import.err.unknown_customer|customer")
	}
	return models.ImportRow{Action: "create", Contact: k}, errs
}

// dupChecker applies the job's duplicate rule row by row.
type dupChecker struct {
	job      *models.ImportJob
	index    *models.DupIndex
	other    *models.DupIndex // the other kind: prospects for a customer import, and back
	contacts map[string]int64
	pending  map[string]bool // keys of rows waiting in the current batch
}

func newDupChecker(ctx context.Context, db *models.DB, job *models.ImportJob) (*dupChecker, error) {
	d := &dupChecker{job: job, pending: map[string]bool{}}
	var err error
	if job.Kind == "contact" {
		d.contacts, err = db.ExistingContacts(ctx)
		return d, err
	}
	if d.index, err = db.NewDupIndex(ctx, job.Kind); err != nil {
		return nil, err
	}
	other := "prospect"
	if job.Kind == "prospect" {
		other = "customer"
	}
	d.other, err = db.NewDupIndex(ctx, other)
	return d, err
}

// keys are the row's identities under the job's match rule.
func (d *dupChecker) keys(r *models.ImportRow) []string {
	var out []string
	for _, by := range d.job.MatchBy {
		var v string
		if d.job.Kind == "contact" {
			prefix := models.ContactKeyPrefix(r.Contact.CustomerID)
			switch by {
			case "name":
				v = prefix + "n:" + r.Contact.Name
			case "phone":
				if r.Contact.Mobile != "" {
					v = prefix + "m:" + r.Contact.Mobile
				}
			case "email":
				if r.Contact.Email != "" {
					v = prefix + "e:" + strings.ToLower(r.Contact.Email)
				}
			}
		} else {
			switch by {
			case "code":
				if r.Customer.Code != "" {
					v = "c:" + r.Customer.Code
				}
			case "name":
				v = "n:" + models.NameKey(r.Customer.Name)
			case "phone":
				if r.Customer.Phone != "" {
					v = "p:" + r.Customer.Phone
				}
			case "email":
				if r.Customer.Email != "" {
					v = "e:" + strings.ToLower(r.Customer.Email)
				}
			}
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// decide sets the row's action; it returns a reason when the row is skipped.
func (d *dupChecker) decide(r *models.ImportRow, actor models.Actor) string {
	keys := d.keys(r)
	defer func() {
		for _, k := range keys {
			d.pending[k] = true
		}
	}()
	if d.job.DupMode == "create" {
		return ""
	}
	for _, k := range keys {
		if d.pending[k] {
			return "import.outcome.duplicate_in_file"
		}
	}
	var id int64
	if d.job.Kind == "contact" {
		for _, k := range keys {
			if id = d.contacts[k]; id != 0 {
				break
			}
		}
	} else {
		id, _ = d.index.Match(&r.Customer, d.job.MatchBy)
		// The form warns of a prospect that is already a customer (and the
		// other way round); the import skips it, by the same name, phone
		// and e-mail rules. Codes differ between the kinds.
		if id == 0 {
			by := slices.DeleteFunc(slices.Clone(d.job.MatchBy), func(k string) bool { return k == "code" })
			if other, _ := d.other.Match(&r.Customer, by); other != 0 {
				return "import.outcome.exists_as_" + d.otherKind()
			}
		}
	}
	if id == 0 {
		return ""
	}
	if d.job.DupMode == "skip" {
		return "import.outcome.duplicate"
	}
	if d.job.Kind != "contact" && !actor.Sees(models.ModCustomers, d.index.Owner[id]) {
		return "import.outcome.not_yours"
	}
	r.Action, r.TargetID = "update", id
	return ""
}

func (d *dupChecker) otherKind() string {
	if d.job.Kind == "prospect" {
		return "customer"
	}
	return "prospect"
}

// added records a committed row so later rows find it.
func (d *dupChecker) added(id int64, r models.ImportRow) {
	if d.job.Kind == "contact" {
		models.AddContactKeys(d.contacts, id, r.Contact.CustomerID, r.Contact.Name, r.Contact.Mobile, r.Contact.Email)
	} else {
		d.index.Add(id, r.Customer.OwnerID, r.Customer.Code, r.Customer.Name, r.Customer.Phone, r.Customer.Email)
	}
	clear(d.pending)
}
