package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A child that leaves its process group (RIE runs bootstrap so) is stopped
// too.
func TestStopReachesChildrenInOtherGroups(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	p, err := start(dir, "sh", "/bin/sh", []string{"-c", "setsid sleep 300 & echo $! > " + pidFile + "; wait"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	if pid == 0 {
		t.Fatal("the child did not start")
	}
	p.stop(time.Second)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, _, alive := procStat(pid); !alive || syscall.Kill(pid, 0) != nil {
			return
		}
		// A killed child stays a zombie until init reaps it.
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); strings.Contains(string(b), ") Z ") {
			return
		}
	}
	t.Errorf("process %d (in its own group) survived stop", pid)
}

// A stand-in that exits because its port was taken says so with
// errPortTaken, whatever words it uses; any other early exit does not.
func TestWaitHTTPPortTaken(t *testing.T) {
	for _, tt := range []struct {
		name, log string
		taken     bool
	}{
		{"goaws or RIE", "listen tcp 127.0.0.1:40000: bind: address already in use", true},
		{"MinIO", "ERROR Unable to start the server: Specified port is already in use", true},
		{"another failure", "ERROR Unable to use the drive: permission denied", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p, err := start(dir, "standin", "/bin/sh", []string{"-c", "echo '" + tt.log + "'; exit 1"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.stop(time.Second)
			// A port nothing listens on: the wait ends when the process does.
			port, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			err = waitHTTP(context.Background(), p, "http://127.0.0.1:"+strconv.Itoa(port)+"/", time.Minute)
			if err == nil {
				t.Fatal("waitHTTP succeeded for a process that exited")
			}
			if errors.Is(err, errPortTaken) != tt.taken {
				t.Errorf("errors.Is(%v, errPortTaken) = %v, want %v", err, !tt.taken, tt.taken)
			}
			if !strings.Contains(err.Error(), "standin exited before it was ready") || !strings.Contains(err.Error(), tt.log) {
				t.Errorf("error %q does not name the process and quote its log", err)
			}
		})
	}
}

func TestRetryPorts(t *testing.T) {
	taken := fmt.Errorf("%w: minio exited", errPortTaken)
	other := errors.New("minio: create bucket: denied")
	for _, tt := range []struct {
		name      string
		errs      []error // returned by successive starts; then success
		wantCalls int
		wantErr   error
	}{
		{"first start", nil, 1, nil},
		{"port taken twice", []error{taken, taken}, 3, nil},
		{"port taken three times", []error{taken, taken, taken, taken}, 3, errPortTaken},
		{"another error is not retried", []error{other, taken}, 1, other},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			v, err := retryPorts(func() (int, error) {
				calls++
				if calls <= len(tt.errs) {
					return 0, tt.errs[calls-1]
				}
				return 42, nil
			})
			if calls != tt.wantCalls {
				t.Errorf("%d starts, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr == nil && (err != nil || v != 42) {
				t.Errorf("got %v, %v; want 42", v, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
		})
	}
}
