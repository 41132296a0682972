package people

import "testing"

// Addresses that look like someone else's are refused: a Cyrillic "а" inside
// a Latin word, or an invisible character. Plain addresses in one script,
// international domains included, still work.
func TestNormalizeEmailRefusesLookalikes(t *testing.T) {
	for _, tc := range []struct {
		email string
		ok    bool
	}{
		{"admin@acme.test", true},
		{"Asha.Rao+billing@Acme.test", true},
		{"रवि@उदाहरण.भारत", true},
		{"ravi@उदाहरण.com", true}, // a Devanagari label beside an ASCII one
		{"иван@пример.рф", true},
		{"用户@例子.广告", true},
		{"さくら@例え.jp", true},              // Japanese mixes Han and kana
		{"\u0430dmin@acme.test", false},  // Cyrillic а in a Latin local part
		{"admin@\u0430cme.test", false},  // ... and in a domain label
		{"ad\u200bmin@acme.test", false}, // zero-width space
		{"admin\u200d@acme.test", false}, // zero-width joiner
		{"admin@acme\u00ad.test", false}, // soft hyphen
		{"\u202eadmin@acme.test", false}, // right-to-left override
		{"pay\u0440al@acme.test", false}, // Cyrillic р
		{"ravi\u0930@acme.test", false},  // Latin and Devanagari in one part
	} {
		_, err := NormalizeEmail(tc.email)
		if (err == nil) != tc.ok {
			t.Errorf("NormalizeEmail(%q): err %v, want ok=%v", tc.email, err, tc.ok)
		}
	}
}

// Names may be in any script but hold no text-direction controls or
// invisible format characters; Indic scripts keep their joiners.
func TestCleanNameRefusesInvisibleCharacters(t *testing.T) {
	for _, tc := range []struct {
		name string
		want string // message key, "" when accepted
	}{
		{"Asha Rao", ""},
		{"आशा राव", ""},
		{"क्\u200dष", ""}, // ZWJ after a virama shapes a Devanagari conjunct
		{"क्\u200cष", ""}, // ZWNJ keeps it apart
		{"محمد", ""},
		{"Admin\u202e", "invalid.invisible_chars"}, // right-to-left override
		{"\u2067Asha\u2069", "invalid.invisible_chars"},
		{"As\u200bha", "invalid.invisible_chars"},
		{"As\u200dha", "invalid.invisible_chars"}, // a joiner between Latin letters joins nothing
		{"Asha\u200f", "invalid.invisible_chars"},
		{"Asha\ufeff", "invalid.invisible_chars"},
		{"Asha\u2060Rao", "invalid.invisible_chars"},
	} {
		_, msg := CleanName(tc.name, 200)
		if msg.Key != tc.want {
			t.Errorf("CleanName(%q) = %q, want %q", tc.name, msg.Key, tc.want)
		}
	}
}
