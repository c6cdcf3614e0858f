package review

import (
	"bytes"
	"encoding/json"
	"time"
)

// SchemaVersion is the version of the review's JSON copy. It changes only
// when a field changes meaning or disappears.
const SchemaVersion = 1

// MessageType tells a review's JSON copy from the notifier's digests, which
// share the topic.
const MessageType = "accessReview"

// machineCopy is the JSON document that non-e-mail subscribers receive.
type machineCopy struct {
	SchemaVersion int              `json:"schemaVersion"`
	Type          string           `json:"type"`
	Subject       string           `json:"subject"`
	UserName      string           `json:"userName"`
	UserID        string           `json:"userId,omitempty"`
	ReviewedAt    time.Time        `json:"reviewedAt"`
	Clean         bool             `json:"clean"`
	DriftChecked  bool             `json:"driftChecked"`
	Findings      []machineFinding `json:"findings"`
	AccessKeys    []machineKey     `json:"accessKeys"`
	Console       machineConsole   `json:"console"`
	Truncated     bool             `json:"truncated,omitempty"`
}

type machineFinding struct {
	Kind  Kind     `json:"kind"`
	Title string   `json:"title"`
	Lines []string `json:"lines,omitempty"`
}

type machineKey struct {
	AccessKeyID     string     `json:"accessKeyId"`
	Status          string     `json:"status"`
	CreateDate      *time.Time `json:"createDate,omitempty"`
	AgeDays         *int       `json:"ageDays,omitempty"`
	LastUsedDate    *time.Time `json:"lastUsedDate,omitempty"`
	LastUsedService string     `json:"lastUsedService,omitempty"`
	MadeByStack     bool       `json:"madeByStack"`
}

type machineConsole struct {
	Password         bool       `json:"password"`
	PasswordLastUsed *time.Time `json:"passwordLastUsed,omitempty"`
	MFADevices       []string   `json:"mfaDevices"`
}

// Message is the SNS message for MessageStructure=json, the way the
// notifier publishes to the same topic: "email" carries Text, "default"
// (every other protocol) a JSON copy with "type":"accessReview". It stays
// within MaxMessageBytes: the text takes at most half; a huge review cuts
// the text further and keeps only the findings' titles in the JSON copy.
func (r Review) Message() (string, error) {
	doc := machineCopy{
		SchemaVersion: SchemaVersion, Type: MessageType, Subject: r.Subject(),
		UserName: r.User.UserName, UserID: r.User.UserID, ReviewedAt: r.Now,
		Clean: len(r.Findings) == 0, DriftChecked: r.Checked,
		Findings: []machineFinding{}, AccessKeys: []machineKey{},
		Console: machineConsole{Password: r.User.LoginProfile != nil, PasswordLastUsed: timeOrNil(r.User.PasswordLastUsed), MFADevices: []string{}},
	}
	for _, f := range r.Findings {
		doc.Findings = append(doc.Findings, machineFinding{Kind: f.Kind, Title: f.Title, Lines: f.Lines})
	}
	for _, k := range r.User.AccessKeys {
		mk := machineKey{AccessKeyID: k.AccessKeyID, Status: orDefault(k.Status, "Active"),
			CreateDate: timeOrNil(k.CreateDate), LastUsedDate: timeOrNil(k.LastUsedDate), LastUsedService: k.LastUsedService,
			MadeByStack: r.User.StackKey(k)}
		if !k.CreateDate.IsZero() {
			age := days(k.CreateDate, r.Now)
			mk.AgeDays = &age
		}
		doc.AccessKeys = append(doc.AccessKeys, mk)
	}
	for _, m := range r.User.MFADevices {
		doc.Console.MFADevices = append(doc.Console.MFADevices, m.SerialNumber)
	}
	full := r.fullText()
	var msg []byte
	for i, limit := range []int{MaxMessageBytes / 2, MaxMessageBytes / 4, MaxMessageBytes / 16} {
		if i > 0 {
			doc.Truncated = true
			for j := range doc.Findings {
				doc.Findings[j].Lines = nil
			}
		}
		def, err := marshal(doc)
		if err != nil {
			return "", err
		}
		if msg, err = marshal(map[string]string{"email": capText(full, limit), "default": string(def)}); err != nil {
			return "", err
		}
		if len(msg) <= MaxMessageBytes {
			break
		}
	}
	return string(msg), nil
}

// marshal is json.Marshal without HTML escaping, so commands such as
// "<new key id>" read as they are.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
