package local

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWaitInitialized: a MinIO that is ready but not yet initialized
// answers 503 for a while; the harness waits for it, and gives up on any
// other error or when the time is up.
func TestWaitInitialized(t *testing.T) {
	const listBuckets = `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`
	serve := func(status func(n int32) int) (*minioServer, *atomic.Int32) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			code := status(calls.Add(1))
			if code != http.StatusOK {
				w.WriteHeader(code)
				w.Write([]byte(`<Error><Code>XMinioServerNotInitialized</Code><Message>Server not initialized yet, please try again.</Message></Error>`))
				return
			}
			w.Write([]byte(listBuckets))
		}))
		t.Cleanup(srv.Close)
		return &minioServer{Endpoint: srv.URL, S3: s3Client(srv.URL, "k", "s")}, &calls
	}
	t.Run("503, then ready", func(t *testing.T) {
		m, calls := serve(func(n int32) int {
			if n <= 6 { // the SDK itself tries three times per call
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		if err := m.waitInitialized(context.Background(), 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if calls.Load() < 7 {
			t.Errorf("%d calls", calls.Load())
		}
	})
	t.Run("another error stops at once", func(t *testing.T) {
		m, _ := serve(func(int32) int { return http.StatusForbidden })
		if err := m.waitInitialized(context.Background(), 10*time.Second); err == nil || !strings.Contains(err.Error(), "first S3 call") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("never initialized", func(t *testing.T) {
		m, _ := serve(func(int32) int { return http.StatusServiceUnavailable })
		err := m.waitInitialized(context.Background(), time.Second)
		if err == nil || !strings.Contains(err.Error(), "not initialized within 1s") {
			t.Errorf("error %v", err)
		}
	})
}
