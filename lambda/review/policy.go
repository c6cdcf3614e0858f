package review

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Document is an IAM identity policy, reduced to what the review compares.
type Document struct {
	Version    string
	Statements []Statement
}

// Statement is one statement of a policy, normalised: Action and Resource
// are always lists, without duplicates, in the order the policy gives them.
type Statement struct {
	Sid    string
	Effect string // "Allow" or "Deny"

	// Actions holds Action, or NotAction when NotAction is true.
	Actions   []string
	NotAction bool

	// Resources holds Resource, or NotResource when NotResource is true.
	// A statement with neither counts as Resource "*": the widest reading.
	Resources   []string
	NotResource bool

	// Condition is the condition block in canonical form (operators and keys
	// sorted, keys lower case, values as sorted lists of strings), "" when
	// the statement has none. Equal strings mean equal conditions.
	Condition string
}

// Allow reports whether s allows (rather than denies).
func (s Statement) Allow() bool { return s.Effect != "Deny" }

// ParseDocument reads a policy document. It accepts the document as IAM
// returns it (URL-encoded JSON), as plain JSON, or as a JSON string holding
// either. Action, Resource and their Not forms may be strings or lists;
// Statement may be one object or a list.
func ParseDocument(s string) (Document, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Document{}, errors.New("policy: empty document")
	case strings.HasPrefix(s, `"`):
		var inner string
		if err := json.Unmarshal([]byte(s), &inner); err != nil {
			return Document{}, fmt.Errorf("policy: %w", err)
		}
		return ParseDocument(inner)
	case !strings.HasPrefix(s, "{"):
		// IAM returns documents URL-encoded (RFC 3986, as java.net.URLDecoder
		// reads them): QueryUnescape, never PathUnescape.
		dec, err := url.QueryUnescape(s)
		if err != nil {
			return Document{}, fmt.Errorf("policy: url-decode: %w", err)
		}
		if !strings.HasPrefix(strings.TrimSpace(dec), "{") {
			return Document{}, errors.New("policy: not a JSON object")
		}
		s = dec
	}
	var raw struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return Document{}, fmt.Errorf("policy: %w", err)
	}
	doc := Document{Version: raw.Version}
	var list []json.RawMessage
	switch first(raw.Statement) {
	case 0, 'n':
	case '[':
		if err := json.Unmarshal(raw.Statement, &list); err != nil {
			return Document{}, fmt.Errorf("policy: Statement: %w", err)
		}
	default:
		list = []json.RawMessage{raw.Statement}
	}
	for i, r := range list {
		st, err := parseStatement(r)
		if err != nil {
			return Document{}, fmt.Errorf("policy: statement %d: %w", i+1, err)
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func parseStatement(r json.RawMessage) (Statement, error) {
	var raw struct {
		Sid         json.RawMessage
		Effect      string
		Action      json.RawMessage
		NotAction   json.RawMessage
		Resource    json.RawMessage
		NotResource json.RawMessage
		Condition   json.RawMessage
	}
	if err := json.Unmarshal(r, &raw); err != nil {
		return Statement{}, err
	}
	st := Statement{Effect: "Allow"}
	if strings.EqualFold(raw.Effect, "Deny") {
		st.Effect = "Deny"
	}
	sid, err := stringList(raw.Sid)
	if err != nil {
		return Statement{}, fmt.Errorf("Sid: %w", err)
	}
	st.Sid = strings.Join(sid, ",")

	if st.Actions, err = stringList(raw.Action); err != nil {
		return Statement{}, fmt.Errorf("Action: %w", err)
	}
	if first(raw.NotAction) != 0 && first(raw.NotAction) != 'n' {
		st.NotAction = true
		if st.Actions, err = stringList(raw.NotAction); err != nil {
			return Statement{}, fmt.Errorf("NotAction: %w", err)
		}
	}
	if st.Resources, err = stringList(raw.Resource); err != nil {
		return Statement{}, fmt.Errorf("Resource: %w", err)
	}
	if first(raw.NotResource) != 0 && first(raw.NotResource) != 'n' {
		st.NotResource = true
		if st.Resources, err = stringList(raw.NotResource); err != nil {
			return Statement{}, fmt.Errorf("NotResource: %w", err)
		}
	}
	if !st.NotResource && len(st.Resources) == 0 {
		st.Resources = []string{"*"}
	}
	if st.Condition, err = canonicalCondition(raw.Condition); err != nil {
		return Statement{}, fmt.Errorf("Condition: %w", err)
	}
	return st, nil
}

// first returns the first non-space byte of r, 0 when r is empty.
func first(r json.RawMessage) byte {
	r = bytes.TrimSpace(r)
	if len(r) == 0 {
		return 0
	}
	return r[0]
}

// stringList reads a JSON string, list of strings, or null into a list
// without duplicates. Numbers and booleans are taken as their text.
func stringList(r json.RawMessage) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	switch first(r) {
	case 0, 'n':
		return nil, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(r, &items); err != nil {
			return nil, err
		}
		for _, it := range items {
			s, err := scalar(it)
			if err != nil {
				return nil, err
			}
			add(s)
		}
	default:
		s, err := scalar(r)
		if err != nil {
			return nil, err
		}
		add(s)
	}
	return out, nil
}

func scalar(r json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(r, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strings.TrimSpace(string(r)), nil
	}
	return "", fmt.Errorf("want a string, got %s", r)
}

// canonicalCondition turns a Condition block into a string that is equal
// for equal conditions: {"Bool":{"aws:MultiFactorAuthPresent":"false"}} and
// {"Bool":{"aws:multifactorauthpresent":[false]}} give the same text.
func canonicalCondition(r json.RawMessage) (string, error) {
	if c := first(r); c == 0 || c == 'n' {
		return "", nil
	}
	var ops map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r, &ops); err != nil {
		return "", err
	}
	canon := map[string]map[string][]string{}
	for op, keys := range ops {
		m := map[string][]string{}
		for k, v := range keys {
			vals, err := stringList(v)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", op, k, err)
			}
			slices.Sort(vals)
			m[strings.ToLower(k)] = vals
		}
		if len(m) > 0 {
			canon[op] = m
		}
	}
	if len(canon) == 0 {
		return "", nil
	}
	b, err := json.Marshal(canon) // map keys come out sorted
	return string(b), err
}
