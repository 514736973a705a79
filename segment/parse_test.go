package segment

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// astDiff compares syntax trees, ignoring positions.
func astDiff(want, got node) string {
	return cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.IgnoreTypes(Pos{}), cmpopts.EquateEmpty())
}

const example = "plan:pro AND NOT tag:churned AND spend >= 100 AND (count(visit, 30d) >= 2 OR did(purchase, 90d)) AND score.p_alive > 700"

func TestParseExample(t *testing.T) {
	q := mustParse(t, example)
	if got := q.String(); got != example {
		t.Errorf("String() = %q, want the input back", got)
	}
	want := &andNode{kids: []node{
		&traitNode{key: "plan", value: "pro"},
		&notNode{kid: &traitNode{key: "tag", value: "churned"}},
		&cmpNode{field: "spend", op: opGE, n: 100},
		&orNode{kids: []node{
			&actNode{fn: fnCount, event: "visit", days: 30, op: opGE, n: 2},
			&actNode{fn: fnDid, event: "purchase", days: 90},
		}},
		&cmpNode{field: "score.p_alive", op: opGT, n: 700},
	}}
	if diff := astDiff(want, q.root); diff != "" {
		t.Errorf("tree (-want +got):\n%s", diff)
	}
}

func TestParseForms(t *testing.T) {
	cases := []struct{ in, canonical string }{
		{"a:b or c:d and not e:f", "a:b OR c:d AND NOT e:f"},
		{"(a:b OR c:d) AND e:f", "(a:b OR c:d) AND e:f"},
		{"((a:b))", "a:b"},
		{"a:b AND (c:d AND e:f)", "a:b AND (c:d AND e:f)"},
		{"NOT (a:b OR c:d)", "NOT (a:b OR c:d)"},
		{"plan IN (pro,team , \"big co\")", `plan IN (pro, team, "big co")`},
		{"plan not in (free)", "NOT plan IN (free)"},
		{"spend between -5 and 10", "spend BETWEEN -5 AND 10"},
		{"age!=3", "age != 3"},
		{"did(visit)", "did(visit)"},
		{"DID(visit, 2w)", "did(visit, 14d)"},
		{"days(visit, 30d) between 2 and 5", "days(visit, 30d) BETWEEN 2 AND 5"},
		{"first(signup, 7d) AND lapsed(purchase, 60d)", "first(signup, 7d) AND lapsed(purchase, 60d)"},
		{"segment:vip AND \"segment\":x", `segment:vip AND "segment":x`},
		{`"page view":"a\tb" AND tag:"and"`, `"page view":"a\tb" AND tag:"and"`},
		{"email:a@b.com AND zip:10001", "email:a@b.com AND zip:10001"},
		{"count:3", "count:3"},
		{"did(\"page view\", 1d)", `did("page view", 1d)`},
		{"a:b\nAND\tc:d", "a:b AND c:d"},
		{"城市:上海", "城市:上海"},
	}
	for _, c := range cases {
		q, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := q.String(); got != c.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", c.in, got, c.canonical)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in        string
		line, col int
		want      error
		msg       string
	}{
		{"", 1, 1, ErrSyntax, "empty expression"},
		{"plan:", 1, 6, ErrSyntax, "expected a value"},
		{"plan:pro AND", 1, 13, ErrSyntax, "expected a condition, found end of input"},
		{"plan:pro\nAND (spend >= x)", 2, 15, ErrSyntax, "expected an integer"},
		{"spend >= 99999999999999999999", 1, 10, ErrSyntax, "out of the int64 range"},
		{"count(visit, 30d)", 1, 18, ErrSyntax, "comparison"},
		{"count(visit) >= 2", 1, 12, ErrSyntax, "needs one"},
		{"did(visit, 30x)", 1, 12, ErrSyntax, "bad window"},
		{"did(visit, 0d)", 1, 12, ErrSyntax, "bad window"},
		{"did(visit, 99999d)", 1, 12, ErrSyntax, "bad window"},
		{"did(visit, -3d)", 1, 12, ErrSyntax, "bad window"},
		{"a:b OR OR c:d", 1, 8, ErrSyntax, "found \"OR\""},
		{"(a:b", 1, 5, ErrSyntax, `expected ")"`},
		{"a:b)", 1, 4, ErrSyntax, "expected AND, OR or end of input"},
		{"a ! b", 1, 3, ErrSyntax, `unexpected "!"`},
		{"a:\"unterminated", 1, 3, ErrSyntax, "not terminated"},
		{"a:\"bad \\q escape\"", 1, 3, ErrSyntax, "bad string literal"},
		{"a:b AND\n  c:d AND\n  ; ", 3, 3, ErrSyntax, "unexpected character ';'"},
		{"a:\xff", 1, 3, ErrSyntax, "invalid UTF-8"},
		{"plan NOT x", 1, 10, ErrSyntax, "IN after"},
		{"plan IN ()", 1, 10, ErrSyntax, "a value in the IN list"},
		{"spend", 1, 6, ErrSyntax, "after \"spend\""},
		{"spend BETWEEN 1 OR 2", 1, 17, ErrSyntax, "AND in BETWEEN"},
		{strings.Repeat("(", 70) + "a:b" + strings.Repeat(")", 70), 1, 65, ErrTooDeep, "deeper than 64"},
		{strings.Repeat("NOT ", 70) + "a:b", 1, 257, ErrTooDeep, "deeper than 64"},
		{"上海:x AND ?", 1, 10, ErrSyntax, "unexpected character"},
		{"plan = pro", 1, 8, ErrSyntax, "a trait value is written plan:pro"},
		{`plan != "Pro Max"`, 1, 9, ErrSyntax, `a trait value is written plan:"Pro Max"`},
		{"spend > 1.5", 1, 9, ErrSyntax, "keep amounts in cents"},
		{"spend > -.5", 1, 9, ErrSyntax, "keep amounts in cents"},
		{"spend > inf", 1, 9, ErrSyntax, `expected an integer, found "inf"`},
		{"plan:pro && spend > 1", 1, 10, ErrSyntax, `"&" (did you mean AND?)`},
		{"plan:pro || spend > 1", 1, 10, ErrSyntax, `"|" (did you mean OR?)`},
		// the empty key, under which Index.Tag keeps nothing
		{`"":x`, 1, 1, ErrSyntax, `empty name before ":"`},
		{`plan:pro OR "":""`, 1, 13, ErrSyntax, `empty name before ":"`},
		{`"" IN (a, b)`, 1, 1, ErrSyntax, "empty name before IN"},
		{`"" NOT IN (a)`, 1, 1, ErrSyntax, "empty name before IN"},
		// the empty numeric field, event and segment, under which the index keeps nothing
		{`"" > 3`, 1, 1, ErrSyntax, `empty name before ">" (SetNumber keeps nothing`},
		{`plan:pro AND "" = 3`, 1, 14, ErrSyntax, `empty name before "="`},
		{`"" = pro`, 1, 1, ErrSyntax, `empty name before "="`},
		{`"" between 1 AND 2`, 1, 1, ErrSyntax, `empty name before "between"`},
		{`did("")`, 1, 5, ErrSyntax, "empty event name in did (Record keeps nothing"},
		{`NOT did("", 7d)`, 1, 9, ErrSyntax, "empty event name in did"},
		{`first("", 7d)`, 1, 7, ErrSyntax, "empty event name in first"},
		{`lapsed("", 7d)`, 1, 8, ErrSyntax, "empty event name in lapsed"},
		{"count(\"\", 7d) > 1", 1, 7, ErrSyntax, "empty event name in count"},
		{"days(\"\", 7d) > 1", 1, 6, ErrSyntax, "empty event name in days"},
		{`segment:""`, 1, 9, ErrSyntax, "empty segment name"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var ee *ExprError
		if !errors.As(err, &ee) || !errors.Is(err, c.want) {
			t.Errorf("Parse(%q) = %v, want an *ExprError wrapping %v", c.in, err, c.want)
			continue
		}
		if ee.Line != c.line || ee.Column != c.col || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Parse(%q) = %q at %d:%d, want %q at %d:%d", c.in, err, ee.Line, ee.Column, c.msg, c.line, c.col)
		}
	}
	if _, err := Parse(strings.Repeat("a:b OR ", MaxExprLen/7+1) + "a:b"); !errors.Is(err, ErrSyntax) {
		t.Errorf("overlong expression: %v", err)
	}
}

// genName draws names that exercise quoting: the vocabulary, keywords, function names,
// the reserved key, and arbitrary Unicode strings.
func genName() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom([]string{"plan", "visit", "and", "OR", "Not", "in", "between", "segment", "count", "did", "", "a b", `q"uote`, "-5", "10001", "30d", "x.y-z/w@v+u"}),
		rapid.StringMatching(`[a-z][a-z0-9_.]{0,6}`),
		rapid.String(),
	)
}

// genKey draws the names that may be a trait key, numeric field, event or saved
// segment: any but the empty one, which Parse refuses (the index keeps nothing under it).
func genKey() *rapid.Generator[string] {
	return genName().Filter(func(s string) bool { return s != "" })
}

// genSyntax draws any syntax tree the parser can produce, with arbitrary names.
func genSyntax(t *rapid.T, depth int) node {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "stop") == 0 {
		switch rapid.IntRange(0, 5).Draw(t, "leaf") {
		case 0:
			return &traitNode{key: genKey().Draw(t, "key"), value: genName().Draw(t, "value")}
		case 1:
			return &segNode{name: genKey().Draw(t, "segment")}
		case 2:
			vals := rapid.SliceOfN(genName(), 1, 4).Draw(t, "values")
			return &inNode{field: genKey().Draw(t, "field"), values: vals, valAt: make([]Pos, len(vals))}
		case 3:
			op, n, n2 := genComparison(t)
			return &cmpNode{field: genKey().Draw(t, "field"), op: op, n: n, n2: n2}
		default:
			fn := fnKind(rapid.IntRange(int(fnDid), int(fnDays)).Draw(t, "fn"))
			a := &actNode{fn: fn, event: genKey().Draw(t, "event"), days: rapid.IntRange(1, MaxWindow).Draw(t, "days")}
			if fn == fnDid && rapid.Bool().Draw(t, "ever") {
				a.days = 0
			}
			if fn == fnCount || fn == fnDays {
				a.op, a.n, a.n2 = genComparison(t)
			}
			return a
		}
	}
	kids := func() []node {
		out := make([]node, rapid.IntRange(2, 3).Draw(t, "kids"))
		for i := range out {
			out[i] = genSyntax(t, depth-1)
		}
		return out
	}
	switch rapid.IntRange(0, 2).Draw(t, "op") {
	case 0:
		return &notNode{kid: genSyntax(t, depth-1)}
	case 1:
		return &andNode{kids: kids()}
	default:
		return &orNode{kids: kids()}
	}
}

// TestPrintParseRoundTrip checks parse(print(q)) == q for any tree.
func TestPrintParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := genSyntax(t, 4)
		text := format(n)
		q, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		if diff := astDiff(n, q.root); diff != "" {
			t.Fatalf("Parse(%q) (-printed tree +parsed tree):\n%s", text, diff)
		}
		if again := q.String(); again != text {
			t.Fatalf("printing is not stable: %q then %q", text, again)
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		example, "", "a:b", "NOT (a:b OR c:d)", `x IN ("a", b, -3)`, "did(e)", "days(e, 4w) BETWEEN 1 AND 2",
		"segment:vip", `"segment":"v\u00e9"`, "a:b AND\n c:d", "((((a:b))))", "a >= -9223372036854775808",
		"count(v, 30d) != 0", "上海:x", "a:\"\\xff\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var ee *ExprError
			if !errors.As(err, &ee) || ee.Line < 1 || ee.Column < 1 || ee.Offset < 0 || ee.Offset > len(s) {
				t.Fatalf("Parse(%q): error without a sane position: %v", s, err)
			}
			return
		}
		text := q.String()
		again, err := Parse(text)
		if err != nil {
			t.Fatalf("Parse(%q) ok but its print %q fails: %v", s, text, err)
		}
		if diff := astDiff(q.root, again.root); diff != "" {
			t.Fatalf("round trip of %q through %q (-first +second):\n%s", s, text, diff)
		}
		if again.String() != text {
			t.Fatalf("unstable print: %q then %q", text, again.String())
		}
	})
}
