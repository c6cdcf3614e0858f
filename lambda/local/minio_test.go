package local

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// refusing stands in for MinIO's policy check: it refuses a document that
// holds any of the words, as MinIO refuses the condition key
// s3:if-none-match and ACL actions.
func refusing(words ...string) func(context.Context, []byte) error {
	return func(_ context.Context, doc []byte) error {
		for _, w := range words {
			if strings.Contains(string(doc), w) {
				return errors.New("invalid condition key '" + w + "'\nsecond line")
			}
		}
		return nil
	}
}

func statements(t *testing.T, js ...string) []Statement {
	t.Helper()
	var out []Statement
	for _, j := range js {
		var s Statement
		if err := json.Unmarshal([]byte(j), &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestFit(t *testing.T) {
	const (
		keep = `{"Sid":"KeepRecords","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::h/changes/*","Condition":{"Null":{"s3:if-none-match":"false"}}}`
		read = `{"Sid":"ReadObjects","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::i/*"}`
		deny = `{"Sid":"DenyOverwritingRecords","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::h/*","Condition":{"Null":{"s3:if-none-match":"true"}}}`
		acl  = `{"Sid":"PutAcl","Effect":"Allow","Action":"s3:PutObjectAcl","Resource":"arn:aws:s3:::i/*","Condition":{"StringEquals":{"s3:x-amz-acl":"private"}}}`
	)
	tests := []struct {
		name    string
		in      []string
		relax   bool
		refuse  []string
		kept    []string // Sids
		dropped []string
		relaxed []string
	}{
		{"all accepted", []string{keep, read}, true, nil, []string{"KeepRecords", "ReadObjects"}, nil, nil},
		{"relaxed", []string{keep, read}, true, []string{"s3:if-none-match"}, []string{"KeepRecords", "ReadObjects"}, nil, []string{"KeepRecords"}},
		{"not relaxed without relax", []string{keep, read}, false, []string{"s3:if-none-match"}, []string{"ReadObjects"}, []string{"KeepRecords"}, nil},
		{"a deny is never relaxed", []string{deny, read}, true, []string{"s3:if-none-match"}, []string{"ReadObjects"}, []string{"DenyOverwritingRecords"}, nil},
		{"refused for more than its condition", []string{acl, read}, true, []string{"PutObjectAcl"}, []string{"ReadObjects"}, []string{"PutAcl"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Statements: statements(t, tt.in...)}
			if err := fit(context.Background(), &p, tt.relax, refusing(tt.refuse...)); err != nil {
				t.Fatal(err)
			}
			if got := p.Sids(); !reflect.DeepEqual(got, tt.kept) {
				t.Errorf("kept %v, want %v", got, tt.kept)
			}
			if got := sids(p.Dropped); !reflect.DeepEqual(got, tt.dropped) {
				t.Errorf("dropped %v, want %v", p.Dropped, tt.dropped)
			}
			if got := sids(p.Relaxed); !reflect.DeepEqual(got, tt.relaxed) {
				t.Errorf("relaxed %v, want %v", p.Relaxed, tt.relaxed)
			}
			for _, d := range append(p.Dropped, p.Relaxed...) {
				if !strings.Contains(d.Reason, "MinIO refuses it: invalid condition key") || strings.Contains(d.Reason, "second line") {
					t.Errorf("%s: reason %q, want MinIO's first line", d.Sid, d.Reason)
				}
			}
			// A relaxed statement lost its Condition; the others are as given.
			given := map[string]Statement{}
			for _, s := range statements(t, tt.in...) {
				given[s.Sid()] = s
			}
			for _, s := range p.Statements {
				want := given[s.Sid()]
				if slices.Contains(sids(p.Relaxed), s.Sid()) {
					delete(want, "Condition")
				}
				if !reflect.DeepEqual(s, want) {
					t.Errorf("installed %v, want %v", s, want)
				}
			}
		})
	}
}

// TestFitRelaxedReason: the note says which condition went, so the test
// output shows what the local run does not enforce.
func TestFitRelaxedReason(t *testing.T) {
	p := Policy{Statements: statements(t, `{"Sid":"KeepRecords","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::h/changes/*","Condition":{"Null":{"s3:if-none-match":"false"}}}`)}
	if err := fit(context.Background(), &p, true, refusing("s3:if-none-match")); err != nil {
		t.Fatal(err)
	}
	if len(p.Relaxed) != 1 || !strings.Contains(p.Relaxed[0].Reason, `without its Condition {"Null":{"s3:if-none-match":"false"}}`) {
		t.Errorf("relaxed %v", p.Relaxed)
	}
}

func TestFitNothing(t *testing.T) {
	p := Policy{Statements: statements(t, `{"Sid":"A","Effect":"Deny","Action":"s3:PutObjectAcl","Resource":"arn:aws:s3:::i/*"}`)}
	if err := fit(context.Background(), &p, true, refusing("PutObjectAcl")); !errors.Is(err, errNothingFits) {
		t.Errorf("error %v, want errNothingFits", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p = Policy{Statements: statements(t, `{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::i/*"}`)}
	err := fit(ctx, &p, true, func(ctx context.Context, _ []byte) error { return ctx.Err() })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v with a cancelled context, want context.Canceled (not a refusal)", err)
	}
}

func sids(ds []Dropped) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Sid)
	}
	return out
}
