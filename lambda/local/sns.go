package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// accountID is the account goaws puts in its ARNs.
const accountID = "100010001000"

// goawsServer is goaws serving SNS on 127.0.0.1:port, with the topic and
// an HTTP subscription from its configuration file, so that a restart
// brings both back as a real topic survives an outage.
type goawsServer struct {
	proc   *process
	dir    string
	bin    string
	port   int
	config string
}

// TopicARN returns the ARN goaws gives topic.
func TopicARN(topic string) string {
	return "arn:aws:sns:" + Region + ":" + accountID + ":" + topic
}

// startGoaws writes goaws's configuration (topic with an http subscription
// to subscriber) and starts it. goaws binds every interface whatever its
// Host says: the harness only ever talks to it on 127.0.0.1, and it lives
// only as long as the harness.
func startGoaws(ctx context.Context, dir, bin, topic, subscriber string) (*goawsServer, error) {
	return retryPorts(func() (*goawsServer, error) { return startGoawsOnce(ctx, dir, bin, topic, subscriber) })
}

func startGoawsOnce(ctx context.Context, dir, bin, topic, subscriber string) (*goawsServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	g := &goawsServer{dir: dir, bin: bin, port: port, config: filepath.Join(dir, "goaws.yaml")}
	conf := fmt.Sprintf(`Local:
  Host: 127.0.0.1
  Port: "%d"
  Region: %s
  AccountId: "%s"
  LogToFile: false
  Topics:
    - Name: %s
      Subscriptions:
        - Protocol: http
          EndPoint: %s
          TopicArn: %s
          Raw: false
`, port, Region, accountID, topic, subscriber, TopicARN(topic))
	if err := os.WriteFile(g.config, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("goaws: config: %w", err)
	}
	if err := g.start(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// start (re)starts the goaws process on its port.
func (g *goawsServer) start(ctx context.Context) error {
	p, err := start(g.dir, "goaws", g.bin, []string{"-config", g.config, "Local"}, nil)
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, p, g.url()+"/health", readyTimeout); err != nil {
		p.stop(3 * time.Second)
		return fmt.Errorf("goaws: %w", err)
	}
	g.proc = p
	return nil
}

func (g *goawsServer) url() string { return "http://127.0.0.1:" + strconv.Itoa(g.port) }

// Publish is one SNS Publish request the notifier made, as the capture in
// front of goaws saw it.
type Publish struct {
	Time             time.Time
	Subject          string
	Message          string
	MessageStructure string
	// Status is goaws's HTTP status; 0 with Err set when goaws could not
	// be reached.
	Status int
	Err    string
}

// OK reports whether SNS accepted the publish.
func (p Publish) OK() bool { return p.Status == http.StatusOK }

// Email returns the text an e-mail subscriber gets: with
// MessageStructure=json the message's "email" member, else the message.
func (p Publish) Email() string {
	if p.MessageStructure != "json" {
		return p.Message
	}
	var m map[string]string
	if json.Unmarshal([]byte(p.Message), &m) != nil {
		return ""
	}
	if e, ok := m["email"]; ok {
		return e
	}
	return m["default"]
}

// Capture is a reverse proxy in front of goaws that records every Publish.
// goaws has no e-mail delivery, so the capture is where the e-mail text
// can be read as SNS would have sent it.
type Capture struct {
	target string
	client *http.Client

	mu        sync.Mutex
	publishes []Publish
	// beforePublish, when set, runs before a Publish is forwarded: the
	// test uses it to stop SNS in the middle of an invocation.
	beforePublish func()
	// onPublish, when set, runs after each Publish with its outcome.
	onPublish func(Publish)
}

// Publishes returns the Publish requests seen so far.
func (c *Capture) Publishes() []Publish {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Publish(nil), c.publishes...)
}

// BeforePublish sets a function that runs before each Publish is forwarded
// (nil removes it).
func (c *Capture) BeforePublish(f func()) {
	c.mu.Lock()
	c.beforePublish = f
	c.mu.Unlock()
}

// OnPublish sets a function that runs after each Publish.
func (c *Capture) OnPublish(f func(Publish)) {
	c.mu.Lock()
	c.onPublish = f
	c.mu.Unlock()
}

// maxRequestBytes bounds a request body: a 256 KiB message grows when
// form-encoded.
const maxRequestBytes = 4 << 20

// ServeHTTP forwards every request to goaws, recording Publish requests
// (form-encoded Query API: Subject, Message, MessageStructure) and their
// outcome.
func (c *Capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err != nil {
		http.Error(w, "capture: read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	form, _ := url.ParseQuery(string(body))
	isPublish := form.Get("Action") == "Publish"
	var pub Publish
	if isPublish {
		pub = Publish{Time: time.Now(), Subject: form.Get("Subject"), Message: form.Get("Message"), MessageStructure: form.Get("MessageStructure")}
		c.mu.Lock()
		before := c.beforePublish
		c.mu.Unlock()
		if before != nil {
			before()
		}
	}

	status, err := c.forward(w, r, body)
	if isPublish {
		pub.Status = status
		if err != nil {
			pub.Err = err.Error()
		}
		c.mu.Lock()
		c.publishes = append(c.publishes, pub)
		after := c.onPublish
		c.mu.Unlock()
		if after != nil {
			after(pub)
		}
	}
}

// forward sends the request on to goaws and copies the answer back. When
// goaws is down it answers 502, as a load balancer in front of a failed
// service would; the SDK retries that and then gives up.
func (c *Capture) forward(w http.ResponseWriter, r *http.Request, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, c.target+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return 0, err
	}
	req.Header = r.Header.Clone()
	resp, err := c.client.Do(req)
	if err != nil {
		http.Error(w, "capture: SNS unreachable: "+err.Error(), http.StatusBadGateway)
		return 0, err
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, err = io.Copy(w, resp.Body)
	return resp.StatusCode, err
}

// Delivery is one HTTP notification goaws sent to the subscription.
type Delivery struct {
	Time    time.Time
	Type    string // "Notification" or "SubscriptionConfirmation"
	Subject string
	// Message is what goaws put in the notification's Message field.
	Message string
	// Envelope is true when Message is the whole MessageStructure=json
	// object rather than its "default" member: goaws v0.4.5 passes the
	// object through to http subscribers, where SNS would send "default".
	Envelope bool
	// Document is the "default" member: the digest's JSON document.
	Document json.RawMessage
}

// Inbox is the HTTP endpoint subscribed to the topic.
type Inbox struct {
	mu         sync.Mutex
	deliveries []Delivery
}

// Deliveries returns the notifications received so far.
func (in *Inbox) Deliveries() []Delivery {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []Delivery
	for _, d := range in.deliveries {
		if d.Type == "Notification" {
			out = append(out, d)
		}
	}
	return out
}

// ServeHTTP records one notification goaws posts to the subscription.
func (in *Inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n struct {
		Type, Subject, Message string
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err == nil {
		err = json.Unmarshal(body, &n)
	}
	if err != nil {
		// 400 is a delivery SNS would not retry: a malformed one.
		http.Error(w, "inbox: not an SNS notification: "+err.Error(), http.StatusBadRequest)
		return
	}
	d := Delivery{Time: time.Now(), Type: n.Type, Subject: n.Subject, Message: n.Message, Document: json.RawMessage(n.Message)}
	var env map[string]string
	if json.Unmarshal([]byte(n.Message), &env) == nil {
		if def, ok := env["default"]; ok {
			d.Envelope = true
			d.Document = json.RawMessage(def)
		}
	}
	in.mu.Lock()
	in.deliveries = append(in.deliveries, d)
	in.mu.Unlock()
}

// stop ends goaws; start brings it back with the same configuration.
func (g *goawsServer) stop() { g.proc.stop(3 * time.Second) }

// newCapture returns a capture forwarding to goaws at target.
func newCapture(target string) *Capture {
	return &Capture{target: target, client: &http.Client{Timeout: 30 * time.Second}}
}
