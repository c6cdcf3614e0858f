package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// initReport is the emulator's line for a finished init phase.
var initReport = regexp.MustCompile(`\(rapid\) INIT REPORT\(durationMs: ([0-9.]+)\)`)

// ColdStart is one function's cold starts under the Runtime Interface
// Emulator: the init phase as the emulator reports it, and the time from
// starting the emulator to the first response.
type ColdStart struct {
	InitMs, FirstResponseMs []float64
}

// ColdStarts starts each bootstrap n times under the emulator at rie,
// alternating between them so that both see the same machine, and invokes
// each once with payload. env is added to every function's environment.
func ColdStarts(ctx context.Context, rie string, bootstraps []string, n int, payload []byte, env []string) ([]ColdStart, error) {
	out := make([]ColdStart, len(bootstraps))
	for i := 0; i < n; i++ {
		for j, bs := range bootstraps {
			initMs, firstMs, err := coldStart(ctx, rie, bs, payload, env)
			if err != nil {
				return nil, fmt.Errorf("bench: cold start %d of %s: %w", i+1, bs, err)
			}
			out[j].InitMs = append(out[j].InitMs, initMs)
			out[j].FirstResponseMs = append(out[j].FirstResponseMs, firstMs)
		}
	}
	return out, nil
}

func coldStart(ctx context.Context, rie, bootstrap string, payload []byte, env []string) (initMs, firstMs float64, err error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var logs syncBuffer
	cmd := exec.CommandContext(ctx, rie, "--runtime-interface-emulator-address", addr, bootstrap)
	// A Lambda-like environment, not this machine's: a host setting such as
	// AWS_CA_BUNDLE would make the SDK parse certificates at init, which no
	// deployed function does.
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=en_US.UTF-8", "TZ=:UTC"}, env...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	for {
		resp, err := http.Post(url, "application/json", bytes.NewReader(payload))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return 0, 0, fmt.Errorf("invoke: HTTP %d", resp.StatusCode)
			}
			firstMs = float64(time.Since(start).Microseconds()) / 1000
			break
		}
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("emulator did not answer: %w; log:\n%s", err, lastLines(logs.String(), 20))
		}
		time.Sleep(2 * time.Millisecond)
	}
	// The emulator writes its report lines around the response; give it a
	// moment, then read the init duration.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if m := initReport.FindStringSubmatch(logs.String()); m != nil {
			v, err := strconv.ParseFloat(string(m[1]), 64)
			return v, firstMs, err
		}
	}
	return 0, 0, fmt.Errorf("no INIT REPORT line in the emulator's log:\n%s", lastLines(logs.String(), 20))
}

// freeAddr finds a free port on the loopback interface.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewBufferString(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Median returns the median of xs, 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// syncBuffer collects a process's output, which exec writes from its own
// goroutines while the caller reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
