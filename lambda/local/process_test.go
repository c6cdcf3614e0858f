package local

import (
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
