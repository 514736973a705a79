package tracking_test

import (
	"fmt"
	"strings"

	"github.com/clientele-go/clientele/internal/tracking"
)

func ExampleParse() {
	m, err := tracking.Parse([]byte(`{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"ann@example.com"},"timestamp":"2025-03-01T10:00:00Z"}`), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Type, m.Time.Format("2006-01-02"), m.IDs)
	// Output: identify 2025-03-01 [{user_id u1} {anonymous_id a1} {email ann@example.com}]
}

func ExampleReader() {
	in := "\ufeff" + `{"type":"page","anonymousId":"a1","timestamp":1740823200000}` + "\r\n" +
		`{"type":"alias","previousId":"a1","timestamp":"2025-03-01T10:00:00Z"}` + "\r\n" +
		`{"batch":[{"type":"screen","userId":"u1","timestamp":"2025-03-01T10:05:00Z"}]}` + "\n"
	r := tracking.NewReader(strings.NewReader(in), &tracking.ReaderOptions{Lenient: true})
	for {
		m, line, err := r.Next()
		if err != nil {
			break
		}
		fmt.Println(line, m.Type, m.Time.Format("15:04"))
	}
	for _, e := range r.Errors() {
		fmt.Println(e)
	}
	// Output:
	// 1 page 10:00
	// 3 screen 10:05
	// line 2, column 1: tracking: invalid call: an alias call needs "userId", the new id, and "previousId", the old one
}
