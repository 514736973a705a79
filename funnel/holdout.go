package funnel

import (
	"fmt"
	"hash/fnv"

	"github.com/RoaringBitmap/roaring/v2"
)

// Holdout chooses a fixed share of profiles to keep out of a campaign, by a hash of the
// profile and a salt, so that every server, shard and rerun holds out the same profiles
// without storing the list, and a new salt (one per campaign) draws an independent set.
// After the campaign, compare the held-out profiles with the others: CompareGroups on a
// funnel's result with Split's two sets, or CompareRetention on each set's cohort
// table, with the Share as ExperimentOptions.ControlShare so that a held-out group
// that came out larger or smaller than the share (profiles lost or added on the way) is
// flagged in Experiment.SampleRatio.
//
// Membership is by profile key: when identity merges two profiles, the survivor's
// membership applies to both histories, which moves the absorbed profile's history to
// the survivor's group. Merges between the groups bias the comparison towards no
// difference; keep them few by choosing the holdout after identities have settled.
type Holdout struct {
	// Share is the fraction of profiles held out, in (0, 1).
	Share float64
	// Salt names the campaign; the same salt and share always choose the same profiles.
	Salt string
}

// validate checks the share.
func (h Holdout) validate() error {
	if !(h.Share > 0 && h.Share < 1) {
		return fmt.Errorf("%w: holdout share %v outside (0, 1)", ErrInvalid, h.Share)
	}
	return nil
}

// Contains reports whether the profile is held out. A share outside (0, 1) holds out
// no profile.
func (h Holdout) Contains(profile uint32) bool {
	if h.validate() != nil {
		return false
	}
	return holdoutDraw(saltKey(h.Salt), profile) < h.Share
}

// Split divides profiles into those held out and the rest.
func (h Holdout) Split(profiles *roaring.Bitmap) (held, rest *roaring.Bitmap, err error) {
	if err := h.validate(); err != nil {
		return nil, nil, err
	}
	if profiles == nil {
		return nil, nil, fmt.Errorf("%w: holdout of a nil set of profiles", ErrInvalid)
	}
	key := saltKey(h.Salt)
	held, rest = roaring.New(), roaring.New()
	var hb, rb []uint32
	it := profiles.ManyIterator()
	buf := make([]uint32, 4096)
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		hb, rb = hb[:0], rb[:0]
		for _, p := range buf[:n] {
			if holdoutDraw(key, p) < h.Share {
				hb = append(hb, p)
			} else {
				rb = append(rb, p)
			}
		}
		held.AddMany(hb)
		rest.AddMany(rb)
	}
	return held, rest, nil
}

// saltKey is the 64-bit FNV-1a hash of the salt (Fowler, Noll and Vo), the seed of
// every draw of one holdout.
func saltKey(salt string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	return h.Sum64()
}

// holdoutDraw maps a profile to a uniform number in [0, 1): the SplitMix64 finaliser
// (Steele, Lea and Flood 2014, "Fast splittable pseudorandom number generators"), a
// bijection of 64-bit words whose every output bit depends on every input bit, applied
// to the salt's key plus the profile, its top 53 bits scaled to [0, 1). The function is
// part of the contract: changing it would move profiles between groups of a running
// campaign, so TestHoldoutGolden pins its values.
func holdoutDraw(key uint64, profile uint32) float64 {
	z := key + uint64(profile)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}
