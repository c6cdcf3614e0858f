// Package replay holds the offline stand-ins that make replay and make
// replay-review run the real handlers against: no AWS account, no network.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// ErrPublishFailed is what the Recorder returns when told to fail.
var ErrPublishFailed = errors.New("replay: publish failed (FAIL=publish)")

// Published is one captured Publish, exactly as it would have been sent.
type Published struct {
	Subject          *string `json:"subject"`
	Message          *string `json:"message"`
	MessageStructure *string `json:"messageStructure"`
}

// Recorder is a stand-in SNS client. It writes each Publish as one JSON line
// to W, or fails every publish when Fail is set.
type Recorder struct {
	W    io.Writer
	Fail bool

	mu  sync.Mutex
	All []Published
}

// Publish records in, or returns ErrPublishFailed.
func (r *Recorder) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail {
		return nil, ErrPublishFailed
	}
	p := Published{Subject: in.Subject, Message: in.Message, MessageStructure: in.MessageStructure}
	r.All = append(r.All, p)
	if r.W != nil {
		line, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if _, err := r.W.Write(append(line, '\n')); err != nil {
			return nil, err
		}
	}
	return &sns.PublishOutput{MessageId: aws.String("replay-" + strconv.Itoa(len(r.All)))}, nil
}

// Result is the last line replay prints: the handler's response and error.
type Result struct {
	Response any     `json:"response"`
	Error    *string `json:"error"`
}

// WriteResult prints the final {"response":...,"error":...} line.
func WriteResult(w io.Writer, response any, err error) error {
	res := Result{Response: response}
	if err != nil {
		s := err.Error()
		res.Error = &s
	}
	line, mErr := json.Marshal(res)
	if mErr != nil {
		return mErr
	}
	_, wErr := w.Write(append(line, '\n'))
	return wErr
}

// ReadJSON reads a replay input file: an error means the file cannot be
// read or is not JSON, and its text fits on one line.
func ReadJSON(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("%s is not JSON", path)
	}
	return data, nil
}
