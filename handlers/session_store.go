package handlers

import (
	"bytes"
	"encoding/gob"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"keyuan/models"
)

const (
	sessionCookie = "keyuan_session"
	sessionMaxAge = 30 * 24 * time.Hour
)

// SessionStore is a gorilla/sessions store that keeps sessions in the
// database. The cookie carries only a signed random id, so deleting the row
// really ends the session (logout, password change, disabled user).
type SessionStore struct {
	db     *models.DB
	codec  securecookie.Codec
	secure func(*http.Request) bool // whether the cookie must be Secure
}

var _ sessions.Store = (*SessionStore)(nil)

// NewSessionStore signs session ids with key.
func NewSessionStore(db *models.DB, key []byte, secure func(*http.Request) bool) *SessionStore {
	codec := securecookie.New(key, nil)
	codec.MaxAge(int(sessionMaxAge.Seconds()))
	// The cookie carries a plain id: signing raw bytes skips a gob decoder
	// per request, which was a third of loading a session.
	codec.SetSerializer(securecookie.NopEncoder{})
	return &SessionStore{db: db, codec: codec, secure: secure}
}

// Get returns the request's session, cached for the request by gorilla.
func (st *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New loads the session named by the cookie, or starts an empty one.
func (st *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	s := sessions.NewSession(st, name)
	s.Options = st.options(r)
	s.IsNew = true
	ck, err := r.Cookie(name)
	if err != nil {
		return s, nil
	}
	var id []byte
	if err := st.codec.Decode(name, ck.Value, &id); err != nil {
		return s, nil // a forged, expired or outdated cookie is just no session
	}
	row, err := st.db.SessionByID(r.Context(), string(id))
	if errors.Is(err, models.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if len(row.Data) > 0 {
		if err := gob.NewDecoder(bytes.NewReader(row.Data)).Decode(&s.Values); err != nil {
			return s, nil
		}
	}
	s.ID = row.ID
	s.Values["uid"] = row.UserID
	s.IsNew = false
	return s, nil
}

// Save writes the session. A session whose MaxAge is negative is deleted.
// A session is created in the database only once it names a user.
func (st *SessionStore) Save(r *http.Request, w http.ResponseWriter, s *sessions.Session) error {
	ctx := r.Context()
	if s.Options.MaxAge < 0 {
		if s.ID != "" {
			if err := st.db.DeleteSession(ctx, s.ID); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(s.Name(), "", s.Options))
		return nil
	}
	uid, _ := s.Values["uid"].(int64)
	if uid == 0 {
		return nil
	}
	data, err := encodeSessionValues(s.Values)
	if err != nil {
		return err
	}
	if s.ID == "" {
		s.ID = models.RandomToken(32)
		err := st.db.CreateSession(ctx, models.SessionRow{ID: s.ID, UserID: uid, Data: data,
			ExpiresAt: st.db.Now().Add(sessionMaxAge)})
		if err != nil {
			return err
		}
		enc, err := st.codec.Encode(s.Name(), []byte(s.ID))
		if err != nil {
			return err
		}
		http.SetCookie(w, sessions.NewCookie(s.Name(), enc, s.Options))
		return nil
	}
	return st.db.SaveSessionData(ctx, s.ID, data)
}

// encodeSessionValues gobs every value but the user id, which has its own
// column. A session that holds nothing else (today: every session) stores
// no data and costs no gob decoder when it is loaded.
func encodeSessionValues(values map[any]any) ([]byte, error) {
	rest := make(map[any]any, len(values))
	for k, v := range values {
		if k != "uid" {
			rest[k] = v
		}
	}
	if len(rest) == 0 {
		return []byte{}, nil // not nil: the column is NOT NULL
	}
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(rest)
	return buf.Bytes(), err
}

func (st *SessionStore) options(r *http.Request) *sessions.Options {
	return &sessions.Options{
		Path:     "/",
		MaxAge:   int(sessionMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   st.secure(r),
		SameSite: http.SameSiteLaxMode,
	}
}
