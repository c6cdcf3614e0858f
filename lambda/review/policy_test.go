package review

import (
	"net/url"
	"slices"
	"testing"
)

func TestParseDocument(t *testing.T) {
	const plain = `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/a+b c"}]}`
	want := Statement{Sid: "A", Effect: "Allow", Actions: []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/a+b c"}}
	tests := []struct {
		name    string
		in      string
		want    []Statement
		wantErr bool
	}{
		{name: "plain JSON", in: plain, want: []Statement{want}},
		// IAM encodes a space as %20 or +, a plus as %2B: QueryUnescape reads both.
		{name: "URL-encoded as IAM returns it", in: url.QueryEscape(plain), want: []Statement{want}},
		{name: "URL-encoded with %20", in: "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2Fa%2Bb%20c%22%2C%22Sid%22%3A%22A%22%7D%7D", want: []Statement{want}},
		{name: "JSON string holding the document", in: `"{\"Statement\":{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/a+b c\"}}"`, want: []Statement{want}},
		{name: "single statement, string action", in: `{"Statement":{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/a+b c"]}}`, want: []Statement{want}},
		{name: "no statements", in: `{"Version":"2012-10-17"}`, want: nil},
		{name: "missing Resource reads as *", in: `{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`,
			want: []Statement{{Effect: "Allow", Actions: []string{"s3:*"}, Resources: []string{"*"}}}},
		{name: "NotAction and NotResource", in: `{"Statement":[{"Effect":"Deny","NotAction":"iam:ChangePassword","NotResource":["arn:aws:iam::1:user/u"]}]}`,
			want: []Statement{{Effect: "Deny", Actions: []string{"iam:ChangePassword"}, NotAction: true, Resources: []string{"arn:aws:iam::1:user/u"}, NotResource: true}}},
		{name: "effect in any case", in: `{"Statement":[{"Effect":"deny","Action":"s3:*","Resource":"*"}]}`,
			want: []Statement{{Effect: "Deny", Actions: []string{"s3:*"}, Resources: []string{"*"}}}},
		{name: "empty", in: "  ", wantErr: true},
		{name: "not JSON", in: "this is not a policy", wantErr: true},
		{name: "bad escape", in: "%7B%zz", wantErr: true},
		{name: "action of the wrong type", in: `{"Statement":[{"Effect":"Allow","Action":{"a":1},"Resource":"*"}]}`, wantErr: true},
		{name: "statement not an object", in: `{"Statement":[42]}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := ParseDocument(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !slices.EqualFunc(doc.Statements, tt.want, equalStatement) {
				t.Errorf("statements = %+v, want %+v", doc.Statements, tt.want)
			}
		})
	}
}

func equalStatement(a, b Statement) bool {
	return a.Sid == b.Sid && a.Effect == b.Effect && a.NotAction == b.NotAction && a.NotResource == b.NotResource &&
		slices.Equal(a.Actions, b.Actions) && slices.Equal(a.Resources, b.Resources) && a.Condition == b.Condition
}

func TestCanonicalCondition(t *testing.T) {
	same := []string{
		`{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`,
		`{"Bool":{"aws:multifactorauthpresent":["false"]}}`,
		`{"Bool":{"aws:MultiFactorAuthPresent":false}}`,
	}
	var first string
	for i, c := range same {
		doc, err := ParseDocument(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":` + c + `}}`)
		if err != nil {
			t.Fatal(err)
		}
		got := doc.Statements[0].Condition
		if i == 0 {
			first = got
			if got == "" {
				t.Fatal("condition lost")
			}
		} else if got != first {
			t.Errorf("condition %s = %q, want %q", c, got, first)
		}
	}
	doc, err := ParseDocument(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Statements[0].Condition == first {
		t.Error("different conditions compare equal")
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		name              string
		general, specific string
		fold, want        bool
	}{
		{name: "equal", general: "s3:GetObject", specific: "s3:GetObject", want: true},
		{name: "action case folds", general: "s3:getobject", specific: "S3:GetObject", fold: true, want: true},
		{name: "resource case does not", general: "arn:aws:s3:::B/*", specific: "arn:aws:s3:::b/x", want: false},
		{name: "service wildcard covers action", general: "s3:*", specific: "s3:GetObject", want: true},
		{name: "service wildcard covers prefix", general: "s3:*", specific: "s3:Get*", want: true},
		{name: "star covers all", general: "*", specific: "iam:*", want: true},
		{name: "action does not cover prefix", general: "s3:GetObject", specific: "s3:Get*", want: false},
		{name: "prefix does not cover service", general: "s3:Get*", specific: "s3:*", want: false},
		{name: "prefix covers longer prefix", general: "s3:Get*", specific: "s3:GetObject*", want: true},
		{name: "suffix pattern not a prefix", general: "s3:*Object", specific: "s3:Get*", want: false},
		{name: "question does not cover star", general: "s3:?", specific: "s3:*", want: false},
		{name: "question covers question", general: "a?c", specific: "a?c", want: true},
		{name: "literal does not cover question", general: "abc", specific: "a?c", want: false},
		{name: "objects cover one object", general: "arn:aws:s3:::b/*", specific: "arn:aws:s3:::b/k/x.jpg", want: true},
		{name: "objects do not cover bucket", general: "arn:aws:s3:::b/*", specific: "arn:aws:s3:::b", want: false},
		{name: "one bucket does not cover all", general: "arn:aws:s3:::b/*", specific: "arn:aws:s3:::*/*", want: false},
		{name: "all buckets cover one", general: "arn:aws:s3:::*/*", specific: "arn:aws:s3:::b/*", want: true},
		{name: "backtracking", general: "a*b*c", specific: "axxbyybzzc", want: true},
		{name: "backtracking fails", general: "a*b*c", specific: "axxbyyc?", want: false},
		{name: "empty star", general: "ab*", specific: "ab", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := covers(tt.general, tt.specific, tt.fold); got != tt.want {
				t.Errorf("covers(%q, %q) = %v, want %v", tt.general, tt.specific, got, tt.want)
			}
		})
	}
}
