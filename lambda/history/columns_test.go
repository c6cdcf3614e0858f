package history

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
)

// fullLine sets every field, so that every column appears in its JSON.
func fullLine() Line {
	c := upload("k", at("2026-12-02T10:00:00Z"), "m")
	c.ContentType, c.PreviousVersionID, c.Width, c.Height, c.Warning, c.Notes = "image/png", "v0", 1, 2, "w", []string{"n"}
	return Line{SchemaVersion: 1, DigestID: "d", Entry: digest.NewEntry(&c),
		Problem: &Problem{MessageID: "m", Bucket: "b", EventName: "e", Raw: "r", Reason: "why", SentTime: "2026-12-02T10:00:00Z"}}
}

// jsonFields returns the top-level fields of a JSON object in order, with
// the Hive type its value calls for.
func jsonFields(t *testing.T, b []byte) []Column {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.Token() // {
	var cols []Column
	for dec.More() {
		tok, _ := dec.Token()
		name := tok.(string)
		var raw json.RawMessage
		dec.Decode(&raw)
		cols = append(cols, Column{name, typeOfJSON(t, raw)})
	}
	return cols
}

func typeOfJSON(t *testing.T, raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "string"
	case '[':
		var a []json.RawMessage
		json.Unmarshal(raw, &a)
		return "array<" + typeOfJSON(t, a[0]) + ">"
	case '{':
		var parts []string
		for _, c := range jsonFields(t, raw) {
			parts = append(parts, c.Name+":"+c.Type)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case 't', 'f':
		return "boolean"
	default:
		return "bigint" // every number of a line is a whole number
	}
}

func TestColumnsMatchWhatTheWriterWrites(t *testing.T) {
	line := fullLine()
	b, err := json.Marshal(&line)
	if err != nil {
		t.Fatal(err)
	}
	got, want := Columns(), jsonFields(t, b)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Columns()\n %v\nthe JSON of a full line\n %v", got, want)
	}
	// A problem's line is written without the change fields: its fields
	// are columns too.
	pl, _ := json.Marshal(problemLine{SchemaVersion: 1, DigestID: "d", Problem: line.Problem})
	for _, c := range jsonFields(t, pl) {
		if !containsColumn(got, c) {
			t.Errorf("a problem's line has %v, which is no column", c)
		}
	}
	// The table's names are the record's, and none is a partition key.
	for _, c := range got {
		for _, p := range PartitionColumns() {
			if strings.EqualFold(c.Name, p.Name) {
				t.Errorf("column %s is also a partition key", c.Name)
			}
		}
	}
	// Spot checks that read like the README.
	for _, c := range []Column{{"schemaVersion", "bigint"}, {"size", "bigint"}, {"notes", "array<string>"}, {"time", "string"},
		{"problem", "struct<messageId:string,bucket:string,eventName:string,raw:string,reason:string,sentTime:string>"}} {
		if !containsColumn(got, c) {
			t.Errorf("no column %v in %v", c, got)
		}
	}
}

func containsColumn(cols []Column, c Column) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

func TestHiveTypes(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"", "string"}, {int64(0), "bigint"}, {0, "bigint"}, {int32(0), "int"}, {true, "boolean"}, {1.5, "double"},
		{[]int{}, "array<bigint>"}, {change.Kind(""), "string"}, {(*int64)(nil), "bigint"},
		{struct {
			A string `json:"a,omitempty"`
			B []bool `json:"bee"`
			c int
			D int `json:"-"`
		}{}, "struct<a:string,bee:array<boolean>>"},
	}
	for _, tc := range cases {
		if got := hiveType(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("%T: %s, want %s", tc.v, got, tc.want)
		}
	}
}
