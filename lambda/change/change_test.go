package change

import (
	"strings"
	"testing"
)

func TestLater(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "greater same length", a: "0055AED6DCD90281E6", b: "0055AED6DCD90281E5", want: true},
		{name: "smaller same length", a: "0055AED6DCD90281E4", b: "0055AED6DCD90281E5", want: false},
		{name: "shorter padded with zeros", a: "0055AED6DCD9028", b: "0055AED6DCD90281E5", want: false},
		{name: "longer after padding", a: "0055AED6DCD90281E5", b: "0055AED6DCD9028", want: true},
		{name: "equal after padding", a: "0A", b: "0A00", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Later(tc.a, tc.b); got != tc.want {
				t.Fatalf("Later(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestDedupe(t *testing.T) {
	a := Change{Bucket: "b", Key: "k", VersionID: "v1", Sequencer: "01", EventName: "ObjectCreated:Put", MessageID: "m1"}
	aAgain := a
	aAgain.MessageID = "m2" // a redelivery arrives in another message
	otherVersion := a
	otherVersion.VersionID = "v2"
	otherEvent := a
	otherEvent.EventName = "ObjectCreated:Copy"
	got := Dedupe([]Change{a, aAgain, otherVersion, a, otherEvent})
	if len(got) != 3 || got[0].MessageID != "m1" || got[1].VersionID != "v2" || got[2].EventName != "ObjectCreated:Copy" {
		t.Fatalf("Dedupe kept %+v", got)
	}
}

func TestEveryEventNameHasItsWording(t *testing.T) {
	names := EventNames()
	if len(names) != 21 {
		t.Errorf("%d event names, want the 21 S3 documents", len(names))
	}
	for _, name := range names {
		k := KindOf(name)
		if !k.Known() || strings.HasPrefix(string(k), unknownPrefix) || k.Short() == "unrecognised" {
			t.Errorf("%s has no wording of its own: %q / %q", name, k, k.Short())
		}
		if KindOf(NormalizeEventName("s3:"+name)) != k {
			t.Errorf("s3:%s reads differently from %s", name, name)
		}
	}
}

func TestUnknownEventKeepsItsName(t *testing.T) {
	k := KindOf("ObjectTeleported:Beam")
	if k.Known() || !strings.Contains(string(k), "ObjectTeleported:Beam") {
		t.Fatalf("unknown event kind %q", k)
	}
	if !Uploaded.Before(k) || k.Before(Uploaded) {
		t.Error("unknown kinds must sort after known ones")
	}
	if KindOf("IntelligentTiering:TransitionAccess") != Tiered {
		t.Error("qualified Intelligent-Tiering name not recognised")
	}
}

// TestKindOrder: what cannot be undone first, uploads and copies last.
func TestKindOrder(t *testing.T) {
	chain := []Kind{DeletedPermanently, DeletedRecoverable, Replaced, ACLChanged, Uploaded, Copied}
	for i := 1; i < len(chain); i++ {
		if !chain[i-1].Before(chain[i]) || chain[i].Before(chain[i-1]) {
			t.Errorf("%q must come before %q", chain[i-1], chain[i])
		}
	}
	if len(order) != len(shortOf) {
		t.Errorf("order has %d kinds, %d have words", len(order), len(shortOf))
	}
}
