// Package sample builds S3 event payloads for tests and benchmarks: the
// shapes the deployed notifier receives, at any size.
package sample

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Epoch is the event time of the first generated change.
var Epoch = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// BulkUpload is an SQS batch of n distinct uploads by one IAM user into one
// folder, one S3 notification per SQS message, as the event source mapping
// delivers a bulk upload.
func BulkUpload(n int) []byte {
	return Bulk(n)
}

// Event is something else that happened during a bulk upload, for Bulk.
type Event struct {
	// At places the event before the At-th upload (n for after the last);
	// it happens at that upload's time.
	At int
	// EventName, Key (decoded), Principal (the IAM user of the uploads
	// when empty) and VersionID describe the event; Size is left out of
	// the event when negative.
	EventName, Key, Principal, VersionID string
	Size                                 int64
	// Body, when set, is the SQS message's whole body instead: an
	// unreadable message.
	Body string
}

// uploader is the IAM user behind the bulk uploads.
const uploader = "AWS:AIDAEXAMPLEMEDIACO"

// Bulk is an SQS batch of n distinct uploads by one IAM user into
// catalogue/2026/, with events placed among them: notable changes hidden
// in a bulk. Message ids are bulk-NNNNN for the uploads and event-NN for
// the events.
func Bulk(n int, extra ...Event) []byte {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, n+len(extra))}
	add := func(id, body string) {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      id,
			ReceiptHandle:  "AQEB-" + id,
			Body:           body,
			Attributes:     map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1795773601000"},
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bucketbell-events",
			AWSRegion:      "us-east-1",
		})
	}
	for i := 0; i <= n; i++ {
		for j, e := range extra {
			if e.At != i && !(i == n && e.At > n) {
				continue
			}
			body := e.Body
			if body == "" {
				p := e.Principal
				if p == "" {
					p = uploader
				}
				body = notification(i, e.EventName, url.QueryEscape(e.Key), p, e.VersionID, e.Size, uint64(1<<40)+uint64(j))
			}
			add(fmt.Sprintf("event-%02d", j), body)
		}
		if i < n {
			add(fmt.Sprintf("bulk-%05d", i), notification(i, "ObjectCreated:Put", fmt.Sprintf("catalogue/2026/item-%05d.jpg", i),
				uploader, fmt.Sprintf("v%05d", i), int64(100000+i*37), uint64(i)))
		}
	}
	b, err := json.Marshal(ev)
	if err != nil { // only strings and maps of strings: cannot happen
		panic(err)
	}
	return b
}

// notification is the body S3 sends for one event at second i of the
// bulk; key is form-encoded, as S3 sends it.
func notification(i int, name, key, principal, version string, size int64, sequencer uint64) string {
	at := Epoch.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z")
	object := fmt.Sprintf(`"key":%q,`, key)
	if size >= 0 {
		object += fmt.Sprintf(`"size":%d,`, size)
	}
	if version != "" {
		object += fmt.Sprintf(`"versionId":%q,`, version)
	}
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":%q,`+
		`"eventName":%q,"userIdentity":{"principalId":%q},`+
		`"requestParameters":{"sourceIPAddress":"203.0.113.10"},"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810",`+
		`"x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},"s3":{"s3SchemaVersion":"1.0",`+
		`"configurationId":"bucketbell","bucket":{"name":"acme-product-images","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},`+
		`"arn":"arn:aws:s3:::acme-product-images"},"object":{%s`+
		`"eTag":"0123456789abcdef0123456789abcdef","sequencer":"%016X"}}}]}`,
		at, name, principal, object, sequencer)
}
