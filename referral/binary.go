package referral

import "github.com/clientele-go/clientele/internal/batchstore"

// MarshalBinary encodes r in the ledger file's format (a batch of one record), for a
// Store that keeps records as bytes, such as referral/pgstore.
func (r Record) MarshalBinary() ([]byte, error) {
	return batchstore.Marshal[Record, recordCodec](r), nil
}

// UnmarshalBinary decodes what MarshalBinary returned. Bytes that do not decode as
// exactly one record fail with an error wrapping ErrCorrupt and leave r unchanged.
func (r *Record) UnmarshalBinary(b []byte) error {
	v, err := batchstore.Unmarshal[Record, recordCodec](b)
	if err != nil {
		return err
	}
	*r = v
	return nil
}
