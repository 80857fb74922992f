package views

import "testing"

// Every message exists in every language.
func TestCatalogComplete(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for lang, keys := range c.Missing() {
		if len(keys) > 0 {
			t.Errorf("%s lacks %d keys: %v", lang, len(keys), keys)
		}
	}
}
