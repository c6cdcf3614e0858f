package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/history"
)

func TestHistoryBucket(t *testing.T) {
	f := variant(t, "default")
	id := f.logicalID(t, "HistoryBucket")
	b := props(f.resource(t, "HistoryBucket"))
	t.Run("versioned, SSE-S3, private, logged", func(t *testing.T) {
		want := map[string]string{
			"VersioningConfiguration":        `{"Status":"Enabled"}`,
			"BucketEncryption":               `{"ServerSideEncryptionConfiguration":[{"ServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`,
			"PublicAccessBlockConfiguration": `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`,
			"OwnershipControls":              `{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}`,
			"LoggingConfiguration":           jsonOf(map[string]any{"DestinationBucketName": ref(f.logicalID(t, "AccessLogBucket")), "LogFilePrefix": "history-bucket/"}),
		}
		for k, w := range want {
			if got := jsonOf(b[k]); got != w {
				t.Errorf("%s %s, want %s", k, got, w)
			}
		}
	})
	t.Run("records expire after historyDays, noncurrent versions a day later", func(t *testing.T) {
		for name, days := range map[string]string{"default": "400", "custom": "30"} {
			lc := jsonOf(props(variant(t, name).resource(t, "HistoryBucket"))["LifecycleConfiguration"])
			for _, w := range []string{`"ExpirationInDays":` + days, `"NoncurrentVersionExpiration":{"NoncurrentDays":1}`, `"ExpiredObjectDeleteMarker":true`} {
				if !strings.Contains(lc, w) {
					t.Errorf("%s: LifecycleConfiguration %s lacks %s", name, lc, w)
				}
			}
		}
	})
	t.Run("no record can be overwritten", func(t *testing.T) {
		st := statementsBySidLenient(props(f.resource(t, "HistoryBucketPolicy"))["PolicyDocument"])["DenyOverwritingRecords"]
		want := jsonOf(map[string]any{
			"Action": "s3:PutObject", "Condition": map[string]any{"Null": map[string]any{"s3:if-none-match": "true"}},
			"Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Resource": objectsOf(id, "*"), "Sid": "DenyOverwritingRecords",
		})
		if jsonOf(st) != want {
			t.Errorf("statement\n got %s\nwant %s", jsonOf(st), want)
		}
	})
	t.Run("the notifier may only create records under changes/", func(t *testing.T) {
		st := statementsBySid(t, props(f.resource(t, "NotifierPolicy"))["PolicyDocument"])["KeepRecords"]
		want := jsonOf(map[string]any{
			"Action": "s3:PutObject", "Condition": map[string]any{"Null": map[string]any{"s3:if-none-match": "false"}},
			"Effect": "Allow", "Resource": objectsOf(id, history.Prefix+"*"), "Sid": "KeepRecords",
		})
		if jsonOf(st) != want {
			t.Errorf("statement\n got %s\nwant %s", jsonOf(st), want)
		}
		env := props(f.resource(t, "Notifier"))["Environment"].(map[string]any)["Variables"].(map[string]any)
		if jsonOf(env["HISTORY_BUCKET"]) != jsonOf(ref(id)) {
			t.Errorf("HISTORY_BUCKET %s", jsonOf(env["HISTORY_BUCKET"]))
		}
	})
	t.Run("the agency's Allows do not reach it", func(t *testing.T) {
		for sid, st := range agencyPolicy(t, f) {
			if st["Effect"] == "Allow" && strings.Contains(jsonOf(st), id) {
				t.Errorf("agency statement %s names the history bucket", sid)
			}
		}
	})
}

// TestHistoryTable: the Glue table's columns are the history's columns,
// derived from the very type the notifier writes, and the date partitions
// are projected over the key layout.
func TestHistoryTable(t *testing.T) {
	f := variant(t, "default")
	bucket := f.logicalID(t, "HistoryBucket")
	tbl := props(f.top(t, "HistoryTable"))
	in := tbl["TableInput"].(map[string]any)
	sd := in["StorageDescriptor"].(map[string]any)
	check := func(what string, got any, want []history.Column) {
		t.Helper()
		var w []any
		for _, c := range want {
			w = append(w, map[string]any{"Name": strings.ToLower(c.Name), "Type": c.Type})
		}
		if jsonOf(got) != jsonOf(w) {
			t.Errorf("%s\n got %s\nwant %s", what, jsonOf(got), jsonOf(w))
		}
	}
	check("columns", sd["Columns"], history.Columns())
	check("partition keys", in["PartitionKeys"], history.PartitionColumns())
	location := map[string]any{"Fn::Join": []any{"", []any{"s3://", ref(bucket), "/changes/"}}}
	if jsonOf(sd["Location"]) != jsonOf(location) {
		t.Errorf("Location %s", jsonOf(sd["Location"]))
	}
	p := in["Parameters"].(map[string]any)
	if p["projection.enabled"] != "true" || p["projection.year.range"] != "2026,NOW" || p["projection.month.digits"] != "2" || p["projection.day.digits"] != "2" {
		t.Errorf("projection %s", jsonOf(p))
	}
	template := jsonOf(map[string]any{"Fn::Join": []any{"", []any{"s3://", ref(bucket), "/changes/year=${year}/month=${month}/day=${day}/"}}})
	if jsonOf(p["storage.location.template"]) != template {
		t.Errorf("storage.location.template %s, want %s", jsonOf(p["storage.location.template"]), template)
	}
	// The key layout the notifier writes matches the template.
	key := history.Key(mustTime(t, "2026-12-02T10:00:00Z"), "d1")
	if !strings.HasPrefix(key, "changes/year=2026/month=12/day=02/") {
		t.Errorf("history.Key %s does not follow the projected layout", key)
	}
	if sd["SerdeInfo"].(map[string]any)["SerializationLibrary"] != "org.openx.data.jsonserde.JsonSerDe" {
		t.Errorf("SerdeInfo %s", jsonOf(sd["SerdeInfo"]))
	}
}

func TestHistoryWorkGroup(t *testing.T) {
	f := variant(t, "default")
	wg := props(f.top(t, "HistoryWorkGroup"))
	conf := wg["WorkGroupConfiguration"].(map[string]any)
	rc := conf["ResultConfiguration"].(map[string]any)
	if conf["EnforceWorkGroupConfiguration"] != true || jsonOf(rc["EncryptionConfiguration"]) != `{"EncryptionOption":"SSE_S3"}` ||
		jsonOf(rc["OutputLocation"]) != jsonOf(map[string]any{"Fn::Join": []any{"", []any{"s3://", ref(f.logicalID(t, "QueryResultsBucket")), "/athena/"}}}) {
		t.Errorf("workgroup %s", jsonOf(wg))
	}
	results := props(f.resource(t, "QueryResultsBucket"))
	if lc := jsonOf(results["LifecycleConfiguration"]); !strings.Contains(lc, `"ExpirationInDays":7`) {
		t.Errorf("query results do not expire: %s", lc)
	}
	if got := jsonOf(results["BucketEncryption"]); !strings.Contains(got, `"SSEAlgorithm":"AES256"`) {
		t.Errorf("query results bucket encryption %s", got)
	}
	queries := f.resources("AWS::Athena::NamedQuery")
	if len(queries) != len(HistoryQueries) {
		t.Fatalf("%d named queries, want %d", len(queries), len(HistoryQueries))
	}
	// The README shows the very queries the stack deploys.
	readme, err := os.ReadFile(filepath.Join("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range HistoryQueries {
		if !strings.Contains(string(readme), q.SQL) {
			t.Errorf("cdk/README.md does not show the query %q:\n%s", q.Name, q.SQL)
		}
		for _, r := range queries {
			if p := props(r); p["Name"] == q.Name && (p["QueryString"] != q.SQL || p["Database"] != HistoryDatabase) {
				t.Errorf("named query %s: %s", q.Name, jsonOf(p))
			}
		}
		// Every column a query names exists.
		for _, col := range []string{"time", "kind", "actor", "versionid", "key"} {
			if strings.Contains(q.SQL, col) && !hasColumn(col) {
				t.Errorf("query %s names column %s, which the table lacks", q.Name, col)
			}
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func hasColumn(name string) bool {
	for _, c := range append(history.Columns(), history.PartitionColumns()...) {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}
