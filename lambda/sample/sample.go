// Package sample builds S3 event payloads for tests and benchmarks: the
// shapes the deployed notifier receives, at any size.
package sample

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Epoch is the event time of the first generated change.
var Epoch = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// BulkUpload is an SQS batch of n distinct uploads by one IAM user into one
// folder, one S3 notification per SQS message, as the event source mapping
// delivers a bulk upload.
func BulkUpload(n int) []byte {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, n)}
	for i := range n {
		at := Epoch.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z")
		body := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":%q,`+
			`"eventName":"ObjectCreated:Put","userIdentity":{"principalId":"AWS:AIDAEXAMPLEMEDIACO"},`+
			`"requestParameters":{"sourceIPAddress":"203.0.113.10"},"responseElements":{"x-amz-request-id":"C3D13FE58DE4C810",`+
			`"x-amz-id-2":"FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},"s3":{"s3SchemaVersion":"1.0",`+
			`"configurationId":"bucketbell","bucket":{"name":"acme-product-images","ownerIdentity":{"principalId":"A3NL1KOZZKExample"},`+
			`"arn":"arn:aws:s3:::acme-product-images"},"object":{"key":"catalogue/2026/item-%05d.jpg","size":%d,`+
			`"eTag":"0123456789abcdef0123456789abcdef","versionId":"v%05d","sequencer":"%016X"}}}]}`,
			at, i, 100000+i*37, i, i)
		ev.Records[i] = events.SQSMessage{
			MessageId:      fmt.Sprintf("bulk-%05d", i),
			ReceiptHandle:  fmt.Sprintf("AQEB-bulk-%05d", i),
			Body:           body,
			Attributes:     map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1795773601000"},
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:bucketbell-events",
			AWSRegion:      "us-east-1",
		}
	}
	b, err := json.Marshal(ev)
	if err != nil { // only strings and maps of strings: cannot happen
		panic(err)
	}
	return b
}
