package synth

import (
	"math"
	"slices"
	"testing"
)

func TestSimulateCampaignDeterministic(t *testing.T) {
	a := SimulateCampaign(CampaignParams{People: 2000, Seed: 7})
	b := SimulateCampaign(CampaignParams{People: 2000, Seed: 7})
	if !slices.Equal(a.Converted, b.Converted) || !slices.Equal(a.Treated, b.Treated) || !slices.Equal(a.Uplift, b.Uplift) {
		t.Fatal("same params gave different campaigns")
	}
	c := SimulateCampaign(CampaignParams{People: 2000, Seed: 8})
	if slices.Equal(a.Converted, c.Converted) {
		t.Fatal("another seed gave the same outcomes")
	}
}

// The observed difference of conversion rates between the arms estimates the mean true
// uplift; each type converts exactly as its definition says.
func TestSimulateCampaignTruth(t *testing.T) {
	for _, noEffect := range []bool{false, true} {
		c := SimulateCampaign(CampaignParams{People: 200_000, Seed: 3, Treated: 0.3, NoEffect: noEffect})
		var nt, nc, yt, yc, up, resp float64
		for i := range c.Type {
			up += c.Uplift[i]
			if c.Treated[i] {
				nt++
				resp += c.Response[i]
				if c.Converted[i] {
					yt++
				}
			} else {
				nc++
				if c.Converted[i] {
					yc++
				}
			}
			treated := c.Treated[i] && !noEffect
			want := map[Response]bool{LostCause: false, SureThing: true, Persuadable: treated, SleepingDog: !treated}[c.Type[i]]
			if c.Converted[i] != want {
				t.Fatalf("person %d: %s treated=%v converted=%v", i, c.Type[i], c.Treated[i], c.Converted[i])
			}
		}
		n := float64(len(c.Type))
		diff, se := yt/nt-yc/nc, math.Sqrt(yt/nt/nt+yc/nc/nc)
		if math.Abs(nt/n-0.3) > 0.01 {
			t.Errorf("treated share %.3f, want 0.3", nt/n)
		}
		if math.Abs(diff-up/n) > 4*se {
			t.Errorf("noEffect=%v: observed uplift %.4f, mean true uplift %.4f (se %.4f)", noEffect, diff, up/n, se)
		}
		if math.Abs(yt/nt-resp/nt) > 4*math.Sqrt(yt/nt/nt) {
			t.Errorf("noEffect=%v: treated rate %.4f, mean true response %.4f", noEffect, yt/nt, resp/nt)
		}
		if noEffect && up != 0 {
			t.Errorf("no effect but true uplift sums to %g", up)
		}
	}
}

// The observed difference of mean spend between the arms estimates the mean true spend
// uplift, baskets average their true mean, and only buyers spend.
func TestSimulateCampaignSpend(t *testing.T) {
	for _, noEffect := range []bool{false, true} {
		c := SimulateCampaign(CampaignParams{People: 200_000, Seed: 5, NoEffect: noEffect})
		var nt, nc, st, sc, st2, sc2, truth, ratio, buyers float64
		for i, s := range c.Spend {
			truth += c.SpendUplift[i]
			if (s > 0) != c.Converted[i] {
				t.Fatalf("person %d: spend %v, converted %v", i, s, c.Converted[i])
			}
			if s > 0 {
				ratio += s / c.Basket[i]
				buyers++
			}
			if c.Treated[i] {
				nt, st, st2 = nt+1, st+s, st2+s*s
			} else {
				nc, sc, sc2 = nc+1, sc+s, sc2+s*s
			}
		}
		n := float64(len(c.Spend))
		mt, mc := st/nt, sc/nc
		se := math.Sqrt((st2/nt-mt*mt)/nt + (sc2/nc-mc*mc)/nc)
		if math.Abs(mt-mc-truth/n) > 4*se {
			t.Errorf("noEffect=%v: observed spend uplift %.3f, mean true %.3f (se %.3f)", noEffect, mt-mc, truth/n, se)
		}
		if math.Abs(ratio/buyers-1) > 0.01 {
			t.Errorf("baskets average %.4f of their mean", ratio/buyers)
		}
		if noEffect && truth != 0 {
			t.Errorf("no effect but true spend uplift sums to %g", truth)
		}
	}
}
