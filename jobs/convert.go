package jobs

import (
	"context"
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
	users, err := db.ActiveUsersByRole(ctx, models.RoleSales, models.RoleManager, models.RoleAdmin)
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

// Convert checks and converts one row. r, when given, checks cell sizes
// against the reader's limits (rows read back from the spool passed already).
func (c *Converter) Convert(row []string, r *sheet.Reader) (models.ImportRow, []string) {
	var errs []string
	if sheet.DefaultLimits.CellTooLong(row) >= 0 {
		return models.ImportRow{}, []string{"import.err.cell_too_long"}
	}
	if c.job.Kind == "contact" {
		return c.convertContact(row, errs)
	}
	cu := models.Customer{
		Kind: c.job.Kind, Code: c.cell(row, "code"), Name: c.cell(row, "name"), ShortName: c.cell(row, "short_name"),
		Address: c.cell(row, "address"), Phone: c.cell(row, "phone"), Email: c.cell(row, "email"),
		Website: c.cell(row, "website"), Notes: c.cell(row, "notes"), Status: "active",
	}
	if cu.Name == "" {
		errs = append(errs, "validation.required|name")
	}
	for _, l := range []struct {
		key string
		v   string
		n   int
	}{{"name", cu.Name, 200}, {"short_name", cu.ShortName, 100}, {"address", cu.Address, 300}, {"notes", cu.Notes, 5000}} {
		if models.TooLong(l.v, l.n) {
			errs = append(errs, "validation.too_long|"+l.key)
		}
	}
	if cu.Phone != "" && !models.ValidPhone(cu.Phone) {
		errs = append(errs, "validation.phone|phone")
	}
	if cu.Email != "" && !models.ValidEmail(cu.Email) {
		errs = append(errs, "validation.email|email")
	}
	if cu.Website != "" && !models.ValidWebsite(cu.Website) {
		errs = append(errs, "validation.website|website")
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
				errs = append(errs, "import.err.unknown_value|"+f.Key)
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
	// A salesperson's import is always theirs; others may name an owner.
	cu.OwnerID = c.actor.ID
	if o := c.cell(row, "owner"); o != "" && c.actor.SeesAllCustomers() {
		id, ok := c.owners[o]
		if !ok {
			id, ok = c.owners[strings.ToLower(o)]
		}
		if !ok {
			errs = append(errs, "import.err.unknown_owner|owner")
		}
		cu.OwnerID = id
	}
	k := models.Contact{Name: c.cell(row, "contact_name"), Title: c.cell(row, "contact_title"),
		Mobile: c.cell(row, "contact_mobile"), Email: c.cell(row, "contact_email")}
	if k.Name == "" && (k.Title != "" || k.Mobile != "" || k.Email != "") {
		errs = append(errs, "validation.required|contact_name")
	}
	errs = append(errs, contactErrors(k, "contact_")...)
	return models.ImportRow{Action: "create", Customer: cu, Contact: k}, errs
}

func contactErrors(k models.Contact, prefix string) []string {
	var errs []string
	if models.TooLong(k.Name, 100) {
		errs = append(errs, "validation.too_long|"+prefix+"name")
	}
	if models.TooLong(k.Title, 100) {
		errs = append(errs, "validation.too_long|"+prefix+"title")
	}
	if k.Mobile != "" && !models.ValidPhone(k.Mobile) {
		errs = append(errs, "validation.phone|"+prefix+"mobile")
	}
	if k.Phone != "" && !models.ValidPhone(k.Phone) {
		errs = append(errs, "validation.phone|"+prefix+"phone")
	}
	if k.Email != "" && !models.ValidEmail(k.Email) {
		errs = append(errs, "validation.email|"+prefix+"email")
	}
	if k.Birthday != "" && !models.ValidDate(k.Birthday) {
		errs = append(errs, "validation.date|"+prefix+"birthday")
	}
	return errs
}

func (c *Converter) convertContact(row []string, errs []string) (models.ImportRow, []string) {
	k := models.Contact{Name: c.cell(row, "name"), Title: c.cell(row, "title"), Phone: c.cell(row, "phone"),
		Mobile: c.cell(row, "mobile"), Email: c.cell(row, "email"), Birthday: normDate(c.cell(row, "birthday"))}
	switch strings.ToLower(c.cell(row, "primary")) {
	case "是", "y", "yes", "true", "1", "√", "主要":
		k.IsPrimary = true
	}
	if k.Name == "" {
		errs = append(errs, "validation.required|name")
	}
	errs = append(errs, contactErrors(k, "")...)
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

// normDate accepts 2024-03-05, 2024/3/5 and 2024.3.5.
func normDate(v string) string {
	v = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "").Replace(strings.TrimSpace(v))
	parts := strings.Split(v, "-")
	if len(parts) != 3 {
		return v
	}
	for i := 1; i < 3; i++ {
		if len(parts[i]) == 1 {
			parts[i] = "0" + parts[i]
		}
	}
	return strings.Join(parts, "-")
}

// dupChecker applies the job's duplicate rule row by row.
type dupChecker struct {
	job      *models.ImportJob
	index    *models.DupIndex
	contacts map[string]int64
	pending  map[string]bool // keys of rows waiting in the current batch
}

func newDupChecker(ctx context.Context, db *models.DB, job *models.ImportJob) (*dupChecker, error) {
	d := &dupChecker{job: job, pending: map[string]bool{}}
	var err error
	if job.Kind == "contact" {
		d.contacts, err = db.ExistingContacts(ctx)
	} else {
		d.index, err = db.NewDupIndex(ctx, job.Kind)
	}
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
				v = "n:" + r.Customer.Name
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
	}
	if id == 0 {
		return ""
	}
	if d.job.DupMode == "skip" {
		return "import.outcome.duplicate"
	}
	if d.job.Kind != "contact" && !actor.SeesAllCustomers() && d.index.Owner[id] != actor.ID {
		return "import.outcome.not_yours"
	}
	r.Action, r.TargetID = "update", id
	return ""
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
