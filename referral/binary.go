package referral

import "fmt"

// MarshalBinary encodes r in the ledger file's format (a batch of one record), for a
// Store that keeps records as bytes, such as referral/pgstore.
func (r Record) MarshalBinary() ([]byte, error) {
	return appendBatch(nil, []Record{r}), nil
}

// UnmarshalBinary decodes what MarshalBinary returned. Bytes that do not decode as
// exactly one record fail with an error wrapping ErrCorrupt and leave r unchanged.
func (r *Record) UnmarshalBinary(b []byte) error {
	recs, err := decodeBatch(b)
	if err != nil {
		return err
	}
	if len(recs) != 1 {
		return fmt.Errorf("%w: decode: %d records where one was expected", ErrCorrupt, len(recs))
	}
	*r = recs[0]
	return nil
}
