package local

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func publishForm(subject, message string) url.Values {
	return url.Values{
		"Action": {"Publish"}, "TopicArn": {TopicARN("s3NotificationTopic")},
		"Subject": {subject}, "Message": {message}, "MessageStructure": {"json"},
	}
}

func TestCaptureRecordsAndForwards(t *testing.T) {
	var forwarded url.Values
	goaws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		forwarded, _ = url.ParseQuery(string(b))
		io.WriteString(w, "<PublishResponse/>")
	}))
	c := newCapture(goaws.URL)
	proxy := httptest.NewServer(c)
	defer proxy.Close()

	msg := `{"default":"{\"schemaVersion\":1}","email":"2 changes in b"}`
	resp, err := http.PostForm(proxy.URL, publishForm("mediacouser: 2 uploaded", msg))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "<PublishResponse/>" || forwarded.Get("Message") != msg {
		t.Fatalf("forwarding: %s %q, goaws got %v", resp.Status, body, forwarded)
	}

	goaws.Close() // SNS goes away
	resp, err = http.PostForm(proxy.URL, publishForm("later", msg))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("with SNS down: %s, want 502", resp.Status)
	}

	pubs := c.Publishes()
	if len(pubs) != 2 {
		t.Fatalf("%d publishes recorded, want 2", len(pubs))
	}
	if !pubs[0].OK() || pubs[0].Subject != "mediacouser: 2 uploaded" || pubs[0].Email() != "2 changes in b" {
		t.Errorf("first publish %+v, e-mail %q", pubs[0], pubs[0].Email())
	}
	if pubs[1].OK() || pubs[1].Err == "" {
		t.Errorf("second publish %+v, want a failure with its error", pubs[1])
	}
}

func TestInboxUnwrapsTheMessageStructure(t *testing.T) {
	in := &Inbox{}
	srv := httptest.NewServer(in)
	defer srv.Close()
	post := func(n map[string]string) {
		b, _ := json.Marshal(n)
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post(map[string]string{"Type": "SubscriptionConfirmation", "Message": "confirm"})
	// goaws v0.4.5: the whole MessageStructure object.
	post(map[string]string{"Type": "Notification", "Subject": "s", "Message": `{"default":"{\"schemaVersion\":1}","email":"text"}`})
	// SNS: the default member.
	post(map[string]string{"Type": "Notification", "Subject": "s", "Message": `{"schemaVersion":1}`})

	ds := in.Deliveries()
	if len(ds) != 2 {
		t.Fatalf("%d notifications, want 2 (the confirmation is not one)", len(ds))
	}
	for i, want := range []bool{true, false} {
		if ds[i].Envelope != want || string(ds[i].Document) != `{"schemaVersion":1}` {
			t.Errorf("delivery %d: envelope %v document %s", i, ds[i].Envelope, ds[i].Document)
		}
	}
}
