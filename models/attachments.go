package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
)

// Attachments (附件) on records. The content is stored once per SHA-256
// under <data>/files/<first two hex>/<hash>; it is streamed to a temporary
// file in the same folder while it is hashed and then renamed, so a 20 MB
// upload never sits in memory and a half-written file never has a real
// name. The name the browser sent is kept for display only.

// AttachmentKinds maps a record kind to its column in attachments.
var AttachmentKinds = map[string]string{
	"customer": "customer_id", "prospect": "customer_id", "contact": "contact_id", "activity": "activity_id",
	"opportunity": "opportunity_id", "campaign": "campaign_id", "issue": "issue_id", "handling": "handling_id",
	"article": "article_id",
}

// Attachment is one file on one record.
type Attachment struct {
	ID          int64
	Hash        string
	Name        string
	Size        int64
	Mime        string
	Kind        string
	RecordID    int64
	CreatedBy   int64
	CreatedName string
	CreatedAt   string
}

// IsImage: shown inline and with a thumbnail. SVG is not an image here: it
// can carry script, so it is only ever downloaded.
func (a Attachment) IsImage() bool { return InlineImage(a.Mime) }

// IsPDF: shown inline (in the sandbox).
func (a Attachment) IsPDF() bool { return a.Mime == "application/pdf" }

// InlineImage reports whether a sniffed type is a raster image a browser
// may show inline.
func InlineImage(mime string) bool {
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// File settings (admin-changeable, in settings).
const (
	settingFileTypes = "files.types"
	settingFileMax   = "files.max_bytes"
	settingQuota     = "files.quota_bytes"

	// DefaultFileMax is the per-file limit.
	DefaultFileMax int64 = 20 << 20
	// DefaultQuota is the total of all stored content.
	DefaultQuota int64 = 10 << 30
	// MaxFilesPerUpload bounds one request: a form with 1,000 files is refused.
	MaxFilesPerUpload = 20
	maxFileName       = 200
)

// DefaultFileTypes is the default allow-list: office documents, PDF,
// images, text and archives (sniffed types).
var DefaultFileTypes = []string{
	"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp",
	"text/plain", "text/csv",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/x-ole-storage",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/zip", "application/x-7z-compressed", "application/x-rar-compressed", "application/gzip",
}

// FileSettings are the admin's rules for files.
type FileSettings struct {
	Types    []string
	MaxBytes int64
	Quota    int64
}

// Allows reports whether a sniffed type is on the allow-list.
func (s FileSettings) Allows(mime string) bool { return slices.Contains(s.Types, mime) }

// FileSettings reads the rules, with the defaults for what is unset.
func (db *DB) FileSettings(ctx context.Context) (FileSettings, error) {
	s := FileSettings{Types: DefaultFileTypes, MaxBytes: DefaultFileMax, Quota: DefaultQuota}
	v, err := db.Setting(ctx, settingFileTypes)
	if err != nil {
		return s, err
	}
	if v != "" {
		s.Types = strings.Fields(v)
	}
	for key, dst := range map[string]*int64{settingFileMax: &s.MaxBytes, settingQuota: &s.Quota} {
		v, err := db.Setting(ctx, key)
		if err != nil {
			return s, err
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			*dst = n
		}
	}
	return s, nil
}

// SaveFileSettings checks and stores the rules. Types are whitespace- or
// comma-separated MIME types; limits are in megabytes.
func (db *DB) SaveFileSettings(ctx context.Context, types string, maxMB, quotaMB int64) error {
	errs := FieldErrors{}
	list := strings.Fields(strings.ReplaceAll(types, ",", " "))
	for _, t := range list {
		if !strings.Contains(t, "/") || len(t) > 120 {
			errs["types"] = "files.err_types"
		}
	}
	if len(list) == 0 {
		errs["types"] = "files.err_types"
	}
	if maxMB < 1 || maxMB > 1024 {
		errs["max_mb"] = "files.err_max"
	}
	if quotaMB < 1 || quotaMB > 10<<20 {
		errs["quota_mb"] = "files.err_quota_setting"
	}
	if errs.Any() {
		return errs
	}
	for k, v := range map[string]string{settingFileTypes: strings.Join(list, " "),
		settingFileMax: strconv.FormatInt(maxMB<<20, 10), settingQuota: strconv.FormatInt(quotaMB<<20, 10)} {
		if err := db.SetSetting(ctx, k, v); err != nil {
			return err
		}
	}
	return nil
}

// FileUsage is the bytes of stored content (each file once) and the number
// of attachments.
func (db *DB) FileUsage(ctx context.Context) (bytes int64, files int, err error) {
	err = db.Read.QueryRowContext(ctx, `SELECT COALESCE((SELECT SUM(size) FROM file_blobs), 0), (SELECT COUNT(*) FROM attachments)`).
		Scan(&bytes, &files)
	return bytes, files, err
}

// RecordAccess tells whether actor may see the record (else ErrNotFound)
// and whether they may add files to it and comment on it.
func (db *DB) RecordAccess(ctx context.Context, actor Actor, kind string, id int64) (edit bool, err error) {
	switch kind {
	case "customer", "prospect":
		return actor.EditsCustomers(), db.customerVisible(ctx, actor, kind, id)
	case "contact":
		var cid int64
		if err := db.Read.QueryRowContext(ctx, `SELECT customer_id FROM contacts WHERE id = ?`, id).Scan(&cid); err != nil {
			return false, notFound(err)
		}
		_, err = db.GetContact(ctx, actor, cid, id)
		return actor.EditsCustomers(), err
	case "activity":
		if !actor.EditsActivities() {
			return false, ErrNotFound // the activity screens are theirs only
		}
		_, err = db.GetActivity(ctx, actor, id)
		return true, err
	case "opportunity":
		if !actor.EditsActivities() {
			return false, ErrNotFound
		}
		_, err = db.GetOpportunity(ctx, actor, id)
		return true, err
	case "campaign":
		_, err = db.GetCampaign(ctx, actor, id)
		return actor.UsesCampaigns(), err
	case "issue":
		_, err = db.GetIssue(ctx, actor, id)
		return actor.HandlesService(), err
	case "handling":
		var iid int64
		if err := db.Read.QueryRowContext(ctx, `SELECT issue_id FROM issue_handlings WHERE id = ?`, id).Scan(&iid); err != nil {
			return false, notFound(err)
		}
		_, err = db.GetIssue(ctx, actor, iid)
		return actor.HandlesService(), err
	case "article":
		_, err = db.GetArticle(ctx, id)
		return actor.HandlesService(), err
	}
	return false, ErrNotFound
}

// customerVisible is GetCustomer's row rule without loading the record:
// every card's files panel asks it, and the card has loaded the customer
// already (one primary-key lookup instead of the row with its three joins
// and its traits).
func (db *DB) customerVisible(ctx context.Context, actor Actor, kind string, id int64) error {
	var owner int64
	err := db.Read.QueryRowContext(ctx, `SELECT owner_id FROM customers WHERE id = ? AND kind = ?`, id, kind).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.Sees(ModCustomers, owner)) {
		return ErrNotFound
	}
	return err
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// FileStore keeps the content of attachments in a folder.
type FileStore struct {
	DB  *DB
	Dir string // <data>/files
}

// Path is where a blob lives. hash is checked to be hex: it is never taken
// from a request unchecked, but a path must not depend on that.
func (fs FileStore) Path(hash string) (string, error) {
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return "", ErrNotFound
	}
	return filepath.Join(fs.Dir, hash[:2], hash), nil
}

// Upload is one file of a request, as it arrives.
type Upload struct {
	Name string
	Body io.Reader
}

// FileError is a refusal of one file: a message key and the file's name.
type FileError struct {
	Name string
	Key  string
}

func (e *FileError) Error() string { return "file " + e.Name + ": " + e.Key }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FileError) Is(target error) bool { return target == ErrInvalid }

// Store streams one upload to disk, checks it and records it on the
// record. The record must have been checked with RecordAccess. Nothing is
// left behind on refusal.
func (fs FileStore) Store(ctx context.Context, actor Actor, kind string, id int64, up Upload) (*Attachment, error) {
	col, ok := AttachmentKinds[kind]
	if !ok {
		return nil, ErrNotFound
	}
	name := cleanFileName(up.Name)
	if name == "" {
		return nil, &FileError{Name: up.Name, Key: "files.err_name"}
	}
	set, err := fs.DB.FileSettings(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(fs.Dir, 0o750); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(fs.Dir, "upload-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone already when renamed
	}()
	h := sha256.New()
	// One byte more than allowed tells an over-size file from one exactly
	// at the limit without reading the rest.
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(up.Body, set.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", name, err)
	}
	if n > set.MaxBytes {
		return nil, &FileError{Name: name, Key: "files.err_too_big"}
	}
	if n == 0 {
		return nil, &FileError{Name: name, Key: "files.err_empty"}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	mt, err := mimetype.DetectReader(tmp)
	if err != nil {
		return nil, err
	}
	mime := baseMime(mt)
	if !set.Allows(mime) {
		return nil, &FileError{Name: name, Key: "files.err_type"}
	}
	hash := hex.EncodeToString(h.Sum(nil))
	used, _, err := fs.DB.FileUsage(ctx)
	if err != nil {
		return nil, err
	}
	path, _ := fs.Path(hash)
	_, statErr := os.Stat(path)
	if statErr != nil && used+n > set.Quota {
		return nil, &FileError{Name: name, Key: "files.err_quota"}
	}
	if statErr != nil {
		if err := tmp.Sync(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, err
		}
	}
	a := &Attachment{Hash: hash, Name: name, Size: n, Mime: mime, Kind: kind, RecordID: id, CreatedBy: actor.ID}
	err = fs.DB.WithTx(ctx, func(tx *sql.Tx) error {
		a.CreatedAt = fs.DB.nowStamp()
		if _, err := tx.ExecContext(ctx, `INSERT INTO file_blobs (hash, size, created_at) VALUES (?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`, hash, n, a.CreatedAt); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO attachments (hash, name, size, mime, `+col+`, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, hash, name, n, mime, id, nullInt(actor.ID), a.CreatedAt)
		if err != nil {
			return err
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, a.CreatedAt, actor.ID, auditKind(kind), id, "attach",
			[]Change{{Field: "attachment", New: name}}); err != nil {
			return err
		}
		return enqueueAttachmentRecord(ctx, tx, kind, id)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// auditKind is the history a record kind's changes go into.
func auditKind(kind string) string { return kind }

// enqueueAttachmentRecord re-indexes the record, whose search text holds
// its attachments' names.
func enqueueAttachmentRecord(ctx context.Context, tx *sql.Tx, kind string, id int64) error {
	switch kind {
	case "customer", "prospect", "issue", "article", "contact":
		return enqueue(ctx, tx, kind, id)
	case "handling":
		_, err := tx.ExecContext(ctx, `INSERT INTO search_queue (kind, ref_id) SELECT 'issue', issue_id FROM issue_handlings WHERE id = ?`, id)
		return err
	}
	return nil
}

// baseMime is the sniffed type without parameters (text/plain; charset=…).
func baseMime(mt *mimetype.MIME) string {
	m := mt.String()
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	return strings.TrimSpace(m)
}

// cleanFileName keeps the last element of what the browser sent (some
// send a whole Windows path), without control characters, at most 200
// characters. It is for display; the disk name is the hash.
func cleanFileName(s string) string {
	s = strings.ToValidUTF8(s, "")
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	for utf8.RuneCountInString(s) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

const attachmentColumns = `a.id, a.hash, a.name, a.size, a.mime, COALESCE(a.created_by, 0), COALESCE(u.display_name, ''), a.created_at`

// Attachments lists a record's files, newest first.
func (db *DB) Attachments(ctx context.Context, kind string, id int64) ([]Attachment, error) {
	col, ok := AttachmentKinds[kind]
	if !ok {
		return nil, ErrNotFound
	}
	return queryList(ctx, db.Read, `SELECT `+attachmentColumns+` FROM attachments a LEFT JOIN users u ON u.id = a.created_by
		WHERE a.`+col+` = ? ORDER BY a.id DESC`, []any{id}, func(row rowScanner) (*Attachment, error) {
		a := Attachment{Kind: kind, RecordID: id}
		return &a, row.Scan(&a.ID, &a.Hash, &a.Name, &a.Size, &a.Mime, &a.CreatedBy, &a.CreatedName, &a.CreatedAt)
	})
}

// GetAttachment returns an attachment whose record actor may see, with
// whether they may delete it; ErrNotFound otherwise (also for a guessed id).
func (db *DB) GetAttachment(ctx context.Context, actor Actor, id int64) (*Attachment, bool, error) {
	var a Attachment
	var cust, contact, act, opp, camp, issue, handling, article sql.NullInt64
	var custKind sql.NullString
	err := db.Read.QueryRowContext(ctx, `SELECT `+attachmentColumns+`, a.customer_id, a.contact_id, a.activity_id,
		a.opportunity_id, a.campaign_id, a.issue_id, a.handling_id, a.article_id, c.kind
		FROM attachments a LEFT JOIN users u ON u.id = a.created_by LEFT JOIN customers c ON c.id = a.customer_id
		WHERE a.id = ?`, id).Scan(&a.ID, &a.Hash, &a.Name, &a.Size, &a.Mime, &a.CreatedBy, &a.CreatedName, &a.CreatedAt,
		&cust, &contact, &act, &opp, &camp, &issue, &handling, &article, &custKind)
	if err != nil {
		return nil, false, notFound(err)
	}
	for _, p := range []struct {
		kind string
		v    sql.NullInt64
	}{{custKind.String, cust}, {"contact", contact}, {"activity", act}, {"opportunity", opp}, {"campaign", camp},
		{"issue", issue}, {"handling", handling}, {"article", article}} {
		if p.v.Valid {
			a.Kind, a.RecordID = p.kind, p.v.Int64
		}
	}
	edit, err := db.RecordAccess(ctx, actor, a.Kind, a.RecordID)
	if err != nil {
		return nil, false, err
	}
	return &a, edit, nil
}

// DeleteAttachment removes one attachment (the content stays until the
// clean-up job finds it unused).
func (db *DB) DeleteAttachment(ctx context.Context, actor Actor, id int64) (*Attachment, error) {
	a, edit, err := db.GetAttachment(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !edit {
		return nil, ErrNotFound
	}
	return a, db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE id = ?`, id); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, db.nowStamp(), actor.ID, auditKind(a.Kind), a.RecordID, "detach",
			[]Change{{Field: "attachment", Old: a.Name}}); err != nil {
			return err
		}
		return enqueueAttachmentRecord(ctx, tx, a.Kind, a.RecordID)
	})
}

// CleanFiles forgets the content no attachment and no recycle-bin entry
// names any more, and removes leftover temporary files. It returns how many
// files it removed.
func (fs FileStore) CleanFiles(ctx context.Context) (int, error) {
	rows, err := fs.DB.Read.QueryContext(ctx, `SELECT b.hash FROM file_blobs b
		WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.hash = b.hash)
		AND NOT EXISTS (SELECT 1 FROM trash t WHERE instr(t.data, b.hash) > 0)`)
	if err != nil {
		return 0, err
	}
	var gone []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return 0, err
		}
		gone = append(gone, h)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	n := 0
	for _, h := range gone {
		// The row first: an upload of the same content racing this finds
		// no row and writes the file again.
		err := fs.DB.WithTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM file_blobs WHERE hash = ?
				AND NOT EXISTS (SELECT 1 FROM attachments WHERE hash = ?)`, h, h)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			p, err := fs.Path(h)
			if err != nil {
				return nil
			}
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	// Temporary files of uploads cut off by a crash.
	if tmps, err := filepath.Glob(filepath.Join(fs.Dir, "upload-*")); err == nil {
		for _, t := range tmps {
			if st, err := os.Stat(t); err == nil && fs.DB.Now().Sub(st.ModTime()) > 24*60*60*1e9 {
				os.Remove(t)
			}
		}
	}
	return n, nil
}

// AttachmentNames is the text search indexes for a record: its files' names.
func (db *DB) AttachmentNames(ctx context.Context, kind string, id int64) (string, error) {
	col, ok := AttachmentKinds[kind]
	if !ok {
		return "", nil
	}
	var s string
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(group_concat(name, ' '), '') FROM attachments WHERE `+col+` = ?`, id).Scan(&s)
	return s, err
}

// RecordCard is the card a record's files are shown on: a contact's
// customer, a handling record's issue, else the record itself ("" when
// there is none).
func (db *DB) RecordCard(ctx context.Context, kind string, id int64) (string, int64) {
	switch kind {
	case "contact":
		var cid int64
		var ck string
		if err := db.Read.QueryRowContext(ctx, `SELECT c.id, c.kind FROM contacts k JOIN customers c ON c.id = k.customer_id
			WHERE k.id = ?`, id).Scan(&cid, &ck); err != nil {
			return "", 0
		}
		return ck, cid
	case "handling":
		var iid int64
		if err := db.Read.QueryRowContext(ctx, `SELECT issue_id FROM issue_handlings WHERE id = ?`, id).Scan(&iid); err != nil {
			return "", 0
		}
		return "issue", iid
	}
	return kind, id
}
