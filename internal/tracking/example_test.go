package tracking_test

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/tracking"
)

func ExampleParse() {
	m, err := tracking.Parse([]byte(`{"type":"identify","userId":"u1","anonymousId":"a1","traits":{"email":"ann@example.com"},"timestamp":"2025-03-01T10:00:00Z"}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Type, m.Time.Format("2006-01-02"), m.IDs)
	// Output: identify 2025-03-01 [{user_id u1} {anonymous_id a1} {email ann@example.com}]
}
