package handlers

import (
	"github.com/gin-gonic/gin"
)

// Customers and prospects (客户/潜在客户): what differs between the two
// kinds. The screens are in customers_list.go, customers_form.go (new, edit,
// duplicates, conversion), customers_card.go and customers_batch.go;
// contacts in contacts.go and contacts_list.go.

// customerKind is what differs between the customer and prospect screens.
type customerKind struct {
	kind string // models kind
	base string // URL prefix
	nav  string
}

var customerKinds = map[string]customerKind{
	"customer": {kind: "customer", base: "/customers", nav: "customers"},
	"prospect": {kind: "prospect", base: "/prospects", nav: "prospects"},
}

// h adapts a handler that needs the kind to a gin handler.
func (k customerKind) h(fn func(*gin.Context, customerKind)) gin.HandlerFunc {
	return func(c *gin.Context) { fn(c, k) }
}

// Key builds a message key for this kind, e.g. customer.list.title.
func (k customerKind) Key(suffix string) string { return k.kind + "." + suffix }

// Base is the URL prefix of this kind's screens.
func (k customerKind) Base() string { return k.base }

// Kind is "customer" or "prospect".
func (k customerKind) Kind() string { return k.kind }

// maxBackQuery bounds the list query a redirect carries back (a real filter
// is a few hundred bytes).
const maxBackQuery = 2048
