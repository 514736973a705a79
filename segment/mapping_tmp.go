package segment

type mapping struct{}
