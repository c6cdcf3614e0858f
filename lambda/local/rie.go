package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// emulator is the AWS Lambda Runtime Interface Emulator running the
// notifier's bootstrap, as Lambda's provided.al2023 runtime would.
type emulator struct {
	proc   *process
	url    string // the invoke URL
	client *http.Client
}

// startEmulator starts RIE with bootstrap; env is the function's
// environment (RIE passes its own environment on to the function).
func startEmulator(ctx context.Context, dir, bin, bootstrap string, timeout time.Duration, env []string) (*emulator, error) {
	return retryPorts(func() (*emulator, error) { return startEmulatorOnce(ctx, dir, bin, bootstrap, timeout, env) })
}

func startEmulatorOnce(ctx context.Context, dir, bin, bootstrap string, timeout time.Duration, env []string) (*emulator, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// RIE's Runtime API (bootstrap's side) defaults to 127.0.0.1:9001: a
	// port of its own lets two runs (make e2e, make demo) coexist.
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	env = append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(timeout/time.Second)), "AWS_LAMBDA_FUNCTION_NAME=notifier")
	p, err := start(dir, "notifier", bin,
		[]string{"--runtime-interface-emulator-address", addr, "--runtime-api-address", "127.0.0.1:" + strconv.Itoa(apiPort), bootstrap},
		env)
	if err != nil {
		return nil, err
	}
	// RIE has no health check; any HTTP answer means it listens.
	if err := waitHTTP(ctx, p, "http://"+addr+"/", readyTimeout); err != nil {
		p.stop(3 * time.Second)
		return nil, fmt.Errorf("rie: %w", err)
	}
	return &emulator{
		proc:   p,
		url:    "http://" + addr + "/2015-03-31/functions/function/invocations",
		client: &http.Client{},
	}, nil
}

// Invoke runs the function once with payload. A function error (RIE
// answers with an errorType/errorMessage body), a timeout or an HTTP error
// status is an error: the invocation failed as a whole.
func (e *emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("rie: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rie: invoke: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxPayloadBytes))
	if err != nil {
		return nil, fmt.Errorf("rie: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("rie: invoke: %s: %s", resp.Status, trim(out))
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" || bytes.HasPrefix(out, []byte("Task timed out")) {
		return nil, fmt.Errorf("rie: function error: %s", trim(out))
	}
	var fe struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(out, &fe) == nil && (fe.ErrorType != "" || fe.ErrorMessage != "") {
		return nil, fmt.Errorf("rie: function error: %s: %s", fe.ErrorType, fe.ErrorMessage)
	}
	return out, nil
}

func trim(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
