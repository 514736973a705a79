package identity

import (
	"context"
	"time"
)

var (
	ctxT = context.Background()
	t0T  = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)
