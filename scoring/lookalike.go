package scoring

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/english"
)

// LookalikeOptions tune FindLookalikes. The zero value (or nil) holds out a fifth of
// the seed.
type LookalikeOptions struct {
	// HoldOut is the share of the seed set aside to measure the audience's lift [0.2].
	HoldOut float64
	// Seed makes the hold-out draw reproducible [1].
	Seed uint64
	// Lambda is the L2 penalty of the classifier [1].
	Lambda float64
}

// Lookalike is an audience of profiles ranked by their resemblance to a seed segment.
// It is safe for concurrent use. A nil *Lookalike is an empty audience.
type Lookalike struct {
	// Model is the classifier trained on the whole seed against the rest of the base;
	// its coefficients say which features make a profile look like the seed.
	Model *Logistic
	// Profiles are the profiles outside the seed, most similar first (ties by key);
	// Scores are their scores.
	Profiles []uint32
	Scores   []float64
	// LiftAt1, LiftAt5 and LiftAt10 measure the ranking on the held-out seed members:
	// the share of them that a classifier trained without them ranks in the top 1%,
	// 5% and 10% of the non-seed profiles plus the held-out ones, divided by that share
	// of the base. 1 means no better than random; the best possible is 1/share.
	LiftAt1, LiftAt5, LiftAt10 float64
	HeldOut                    int // seed members held out
}

// FindLookalikes scores every profile outside the seed by its similarity to the seed,
// as a positive-unlabelled problem: a logistic regression separates the seed
// (labelled positive) from the rest of the base (unlabelled, a mix of lookalikes and
// others). Elkan & Noto (2008) show that when the seed is a random sample of the
// positives, the classifier's score is proportional to the probability of being
// positive, so it ranks the unlabelled profiles as that probability would. The two
// classes are weighted to equal total weight. A share of the seed is held out of
// training to measure the ranking (see Lookalike); the final model is then trained on
// the whole seed.
//
// profiles and features describe the whole base, one feature row per profile; seed
// members not in profiles are ignored.
func FindLookalikes(seed *roaring.Bitmap, profiles []uint32, features [][]float64, opt *LookalikeOptions) (*Lookalike, error) {
	o := LookalikeOptions{HoldOut: 0.2, Seed: 1, Lambda: 1}
	if opt != nil {
		if opt.HoldOut != 0 {
			o.HoldOut = opt.HoldOut
		}
		if opt.Seed != 0 {
			o.Seed = opt.Seed
		}
		if opt.Lambda != 0 {
			o.Lambda = opt.Lambda
		}
	}
	if seed == nil {
		return nil, fmt.Errorf("%w: nil seed", ErrInvalid)
	}
	if len(profiles) != len(features) {
		return nil, fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(len(profiles), "profile"), english.Count(len(features), "feature row"))
	}
	if !(o.HoldOut > 0 && o.HoldOut < 1) {
		return nil, fmt.Errorf("%w: hold-out share %v outside (0, 1)", ErrInvalid, o.HoldOut)
	}
	seen := roaring.New()
	var members, others []int // indexes into profiles
	for i, p := range profiles {
		if !seen.CheckedAdd(p) {
			return nil, fmt.Errorf("%w: profile %d appears twice", ErrInvalid, p)
		}
		if seed.Contains(p) {
			members = append(members, i)
		} else {
			others = append(others, i)
		}
	}
	if len(members) < MinCustomers || len(others) < MinCustomers {
		return nil, fmt.Errorf("%w: %s and %s; need %d of each", ErrTooFew, english.Count(len(members), "seed member"), english.Count(len(others), "other profile"), MinCustomers)
	}
	held := max(1, int(math.Round(o.HoldOut*float64(len(members)))))
	shuffled := slices.Clone(members)
	rand.New(rand.NewPCG(o.Seed, 0x6c6f6f6b616c696b)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	heldOut, train := shuffled[:held], shuffled[held:]

	l := &Lookalike{HeldOut: held}
	// Measure: train without the held-out members, rank them among the others.
	evalModel, err := fitPU(features, train, others, o.Lambda)
	if err != nil {
		return nil, err
	}
	ranked := append(slices.Clone(others), heldOut...)
	scores := make([]float64, len(features))
	for _, i := range ranked {
		scores[i], _ = evalModel.Predict(features[i])
	}
	slices.SortStableFunc(ranked, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return cmp.Compare(profiles[a], profiles[b])
	})
	isHeld := map[int]bool{}
	for _, i := range heldOut {
		isHeld[i] = true
	}
	lift := func(share float64) float64 {
		top := max(1, int(math.Ceil(share*float64(len(ranked)))))
		found := 0
		for _, i := range ranked[:top] {
			if isHeld[i] {
				found++
			}
		}
		return (float64(found) / float64(held)) / (float64(top) / float64(len(ranked)))
	}
	l.LiftAt1, l.LiftAt5, l.LiftAt10 = lift(0.01), lift(0.05), lift(0.10)

	// Score: train on the whole seed.
	if l.Model, err = fitPU(features, members, others, o.Lambda); err != nil {
		return nil, err
	}
	order := slices.Clone(others)
	for _, i := range order {
		scores[i], _ = l.Model.Predict(features[i])
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return cmp.Compare(profiles[a], profiles[b])
	})
	l.Profiles = make([]uint32, len(order))
	l.Scores = make([]float64, len(order))
	for k, i := range order {
		l.Profiles[k], l.Scores[k] = profiles[i], scores[i]
	}
	return l, nil
}

// fitPU trains positives (labelled) against unlabelled rows, the classes weighted to
// equal totals.
func fitPU(features [][]float64, pos, unl []int, lambda float64) (*Logistic, error) {
	x := make([][]float64, 0, len(pos)+len(unl))
	y := make([]bool, 0, cap(x))
	w := make([]float64, 0, cap(x))
	wp := float64(len(unl)) / float64(len(pos))
	for _, i := range pos {
		x, y, w = append(x, features[i]), append(y, true), append(w, wp)
	}
	for _, i := range unl {
		x, y, w = append(x, features[i]), append(y, false), append(w, 1)
	}
	return FitLogistic(x, y, &LogisticOptions{Lambda: lambda, Weights: w})
}

// Top returns the n profiles most similar to the seed (all of them if n exceeds the
// audience), as a bitmap a host can tag or export.
func (l *Lookalike) Top(n int) *roaring.Bitmap {
	if l == nil {
		return roaring.New()
	}
	n = max(0, min(n, len(l.Profiles)))
	return roaring.BitmapOf(l.Profiles[:n]...)
}
