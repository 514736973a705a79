package synth_test

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/synth"
)

func ExampleGenerate() {
	counts := map[synth.Kind]int{}
	for e := range synth.Generate(synth.Params{People: 2000, Seed: 42}) {
		counts[e.Kind]++
	}
	for k := synth.Touch; k <= synth.Invite; k++ {
		fmt.Printf("%s %d\n", k, counts[k])
	}
	// Output:
	// touch 3987
	// visit 1095
	// signup 38
	// purchase 51
	// refund 1
	// invite 23
}

func ExampleContacts() {
	accounts, cards := 0, 0
	var last synth.Contact
	shown := 0
	for c := range synth.Contacts(synth.Params{People: 20000, Seed: 42}) {
		if c.ID.Kind != "loyalty_card" {
			accounts++
			last = c
			continue
		}
		cards++
		if shown < 2 && c.Person == last.Person {
			fmt.Printf("%+v\n%+v\n", last, c)
			shown++
		}
	}
	fmt.Println(accounts, "web accounts,", cards, "loyalty cards")
	// Output:
	// {Person:123 ID:{Kind:email Value: zhao.wang124@outlook.com} FirstName:zhao Surname:wang Phone:+86 196 6729 4940 Email: zhao.wang124@outlook.com City:wuhan}
	// {Person:123 ID:{Kind:loyalty_card Value:card-0000001} FirstName:zhao Surname:wang Phone:1966729440 Email: City:wuhan}
	// {Person:127 ID:{Kind:email Value: zhou.zhang128@qq.com} FirstName:zhou Surname:zhang Phone:+86 188 3136 5784 Email: zhou.zhang128@qq.com City:tianjin}
	// {Person:127 ID:{Kind:loyalty_card Value:card-0000002} FirstName:zhou Surname:zhag Phone:18831365784 Email: City:tianjin}
	// 497 web accounts, 140 loyalty cards
}

func ExampleSimulateCampaign() {
	c := synth.SimulateCampaign(synth.CampaignParams{People: 100_000, Seed: 1})
	count := map[synth.Response]int{}
	var truth float64
	for i, r := range c.Type {
		count[r]++
		truth += c.Uplift[i]
	}
	for r := synth.LostCause; r <= synth.SleepingDog; r++ {
		fmt.Printf("%s %d\n", r, count[r])
	}
	fmt.Printf("%d features, mean true uplift %.4f\n", len(c.X[0]), truth/float64(len(c.X)))
	// Output:
	// lost cause 88630
	// sure thing 6069
	// persuadable 3691
	// sleeping dog 1610
	// 20 features, mean true uplift 0.0214
}
