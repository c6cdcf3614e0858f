package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/history"
)

// Names of the query side of the change history. Glue database and Athena
// workgroup names are unique per account and Region, like the stack's.
const (
	HistoryDatabase  = "bucketbell"
	HistoryTable     = "changes"
	HistoryWorkGroup = "bucketbell"
)

const (
	// queryResultDays is how long Athena's query results are kept: they
	// repeat records, and a query is cheap to run again.
	queryResultDays = 7
	// queryBytesCutoff stops a runaway query: ten years of records are a
	// few GB at most (see the README's cost notes).
	queryBytesCutoff = 10 << 30
	// historyFirstYear is the first year the table's partition projection
	// enumerates; the records of a stack start with its first deploy.
	historyFirstYear = "2026"
)

// addHistory adds the change history: the bucket the notifier keeps every
// change in (see lambda/history), a Glue table over it with partition
// projection on the date, and an Athena workgroup with its own encrypted,
// expiring result location.
func (s *stack) addHistory() {
	days := awscdk.Duration_Days(jsii.Number(float64(s.cfg.HistoryDays)))
	// The record of what happened outlives the stack, as the images do.
	s.historyBucket = s.privateBucket("HistoryBucket", awss3.BucketProps{
		// Who read the history, and when, is itself worth keeping.
		ServerAccessLogsBucket: s.logBucket,
		ServerAccessLogsPrefix: jsii.String("history-bucket/"),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				Id:         jsii.String("ExpireRecords"),
				Expiration: days,
				// A record is never overwritten (see below), so a noncurrent
				// version is one that expired or was deleted by hand: it
				// goes a day later.
				NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			},
			{
				// S3 takes no Expiration and ExpiredObjectDeleteMarker in
				// one rule.
				Id:                        jsii.String("RemoveExpiredDeleteMarkers"),
				ExpiredObjectDeleteMarker: jsii.Bool(true),
			},
		},
	})
	// No record can be overwritten, by anyone: every write must be a
	// conditional create (If-None-Match), as the S3 user guide's "Enforce
	// conditional writes on Amazon S3 buckets" shows. The notifier writes
	// exactly so, and a retried batch finds its record already there.
	s.historyBucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyOverwritingRecords"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  &[]*string{s.historyBucket.ArnForObjects(jsii.String("*"))},
		Conditions: &map[string]interface{}{"Null": map[string]interface{}{"s3:if-none-match": "true"}},
	}))

	// CloudFormation cannot delete a bucket that holds objects, so it is
	// kept too; the results expire on their own within queryResultDays.
	s.queryResults = s.privateBucket("QueryResultsBucket", awss3.BucketProps{
		ServerAccessLogsBucket: s.logBucket,
		ServerAccessLogsPrefix: jsii.String("query-results/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireQueryResults"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(queryResultDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
	})

	account := awscdk.Aws_ACCOUNT_ID()
	db := awsglue.NewCfnDatabase(s.st, jsii.String("HistoryDatabase"), &awsglue.CfnDatabaseProps{
		CatalogId: account,
		DatabaseInput: &awsglue.CfnDatabase_DatabaseInputProperty{
			Name:        jsii.String(HistoryDatabase),
			Description: jsii.String("bucketbell: the change history of the image bucket"),
		},
	})
	location := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3://"), s.historyBucket.BucketName(), jsii.String("/" + history.Prefix)})
	table := awsglue.NewCfnTable(s.st, jsii.String("HistoryTable"), &awsglue.CfnTableProps{
		CatalogId:    account,
		DatabaseName: jsii.String(HistoryDatabase),
		TableInput: &awsglue.CfnTable_TableInputProperty{
			Name:        jsii.String(HistoryTable),
			Description: jsii.String("bucketbell: one row per change (or unreadable input), from the notifier's gzip JSON lines"),
			TableType:   jsii.String("EXTERNAL_TABLE"),
			// Partition projection computes the date partitions from the
			// query instead of a crawler or MSCK REPAIR (Athena user guide,
			// "Use partition projection with Amazon Athena").
			Parameters: &map[string]interface{}{
				"classification":                "json",
				"compressionType":               "gzip",
				"projection.enabled":            "true",
				"projection.year.type":          "date",
				"projection.year.format":        "yyyy",
				"projection.year.range":         historyFirstYear + ",NOW",
				"projection.year.interval":      "1",
				"projection.year.interval.unit": "YEARS",
				"projection.month.type":         "integer",
				"projection.month.range":        "1,12",
				"projection.month.digits":       "2",
				"projection.day.type":           "integer",
				"projection.day.range":          "1,31",
				"projection.day.digits":         "2",
				"storage.location.template":     awscdk.Fn_Join(jsii.String(""), &[]*string{location, jsii.String("year=${year}/month=${month}/day=${day}/")}),
			},
			PartitionKeys: glueColumns(history.PartitionColumns()),
			StorageDescriptor: &awsglue.CfnTable_StorageDescriptorProperty{
				Location:     location,
				Columns:      glueColumns(history.Columns()),
				InputFormat:  jsii.String("org.apache.hadoop.mapred.TextInputFormat"),
				OutputFormat: jsii.String("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"),
				Compressed:   jsii.Bool(true),
				SerdeInfo: &awsglue.CfnTable_SerdeInfoProperty{
					// The OpenX JSON SerDe matches the records' camelCase
					// fields to Glue's lower-case columns.
					SerializationLibrary: jsii.String("org.openx.data.jsonserde.JsonSerDe"),
					Parameters:           &map[string]interface{}{"ignore.malformed.json": "true", "case.insensitive": "true"},
				},
			},
		},
	})
	table.Node().AddDependency(db)

	s.workGroup = awsathena.NewCfnWorkGroup(s.st, jsii.String("HistoryWorkGroup"), &awsathena.CfnWorkGroupProps{
		Name:        jsii.String(HistoryWorkGroup),
		Description: jsii.String("bucketbell: queries over the change history"),
		// The named queries go with the workgroup when the stack is
		// deleted; the records and results stay in their buckets.
		RecursiveDeleteOption: jsii.Bool(true),
		WorkGroupConfiguration: &awsathena.CfnWorkGroup_WorkGroupConfigurationProperty{
			// Every query in this workgroup writes here, encrypted, and no
			// client setting can change that.
			EnforceWorkGroupConfiguration:   jsii.Bool(true),
			PublishCloudWatchMetricsEnabled: jsii.Bool(true),
			BytesScannedCutoffPerQuery:      jsii.Number(queryBytesCutoff),
			ResultConfiguration: &awsathena.CfnWorkGroup_ResultConfigurationProperty{
				OutputLocation: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("s3://"), s.queryResults.BucketName(), jsii.String("/athena/")}),
				EncryptionConfiguration: &awsathena.CfnWorkGroup_EncryptionConfigurationProperty{
					EncryptionOption: jsii.String("SSE_S3"),
				},
			},
		},
	})
	for _, q := range HistoryQueries {
		nq := awsathena.NewCfnNamedQuery(s.st, jsii.String("HistoryQuery"+q.ID), &awsathena.CfnNamedQueryProps{
			Name:        jsii.String(q.Name),
			Description: jsii.String(q.Description),
			Database:    jsii.String(HistoryDatabase),
			WorkGroup:   s.workGroup.Name(),
			QueryString: jsii.String(q.SQL),
		})
		nq.Node().AddDependency(s.workGroup)
	}
}

// sqlStrings lists kinds as SQL string literals; kinds hold no quotes.
func sqlStrings(kinds ...change.Kind) string {
	var out []string
	for _, k := range kinds {
		out = append(out, "'"+string(k)+"'")
	}
	return strings.Join(out, ", ")
}

// glueColumns turns the history's columns into Glue's.
func glueColumns(cols []history.Column) *[]interface{} {
	out := make([]interface{}, len(cols))
	for i, c := range cols {
		out[i] = &awsglue.CfnTable_ColumnProperty{Name: jsii.String(strings.ToLower(c.Name)), Type: jsii.String(c.Type)}
	}
	return &out
}

// HistoryQuery is an example query over the change history, deployed as an
// Athena named query and shown in the README.
type HistoryQuery struct {
	ID, Name, Description, SQL string
}

// dedupe keeps one row per change: SQS may deliver a batch again, regrouped,
// and S3 may deliver an event twice, so a change can be in two records. The
// digest drops duplicates the same way: same bucket, key, version,
// sequencer and event name.
const dedupe = `WITH changes AS (
  SELECT *, row_number() OVER (
    PARTITION BY bucket, "key", versionid, sequencer, eventname ORDER BY digestid) AS copy
  FROM bucketbell.changes
  WHERE problem IS NULL AND %s)
`

// HistoryQueries are the README's three examples. Each restricts the date
// partitions it reads, so that a query reads only its days.
var HistoryQueries = []HistoryQuery{
	{
		ID:          "KeyTimeline",
		Name:        "bucketbell: one key's timeline",
		Description: "Every change to one key, oldest first. Replace the key; narrow the years to read less.",
		SQL: strings.Replace(dedupe, "%s", `"key" = 'shoes/red.png'`, 1) +
			`SELECT "time", kind, actor, versionid, previousversionid, "size", sourceip
FROM changes WHERE copy = 1
ORDER BY from_iso8601_timestamp("time")`,
	},
	{
		ID:          "ActorLastMonth",
		Name:        "bucketbell: one person's changes last month",
		Description: "What one actor (the name the e-mails show) changed in the previous calendar month.",
		SQL: strings.Replace(dedupe, "%s", `actor = 'mediacouser'
    AND year = date_format(date_add('month', -1, current_date), '%Y')
    AND month = date_format(date_add('month', -1, current_date), '%m')`, 1) +
			`SELECT "time", kind, bucket, "key", versionid, "size"
FROM changes WHERE copy = 1
ORDER BY from_iso8601_timestamp("time")`,
	},
	{
		ID:          "DeletionsThisWeek",
		Name:        "bucketbell: deletions this week",
		Description: "Every deletion, recoverable or not, since Monday (UTC).",
		SQL: strings.Replace(dedupe, "%s", `kind IN (`+sqlStrings(change.DeletedRecoverable, change.DeletedPermanently, change.ExpiredRecoverable, change.ExpiredPermanently)+`)
    AND year IN (date_format(date_trunc('week', current_date), '%Y'), date_format(current_date, '%Y'))
    AND month IN (date_format(date_trunc('week', current_date), '%m'), date_format(current_date, '%m'))
    AND from_iso8601_timestamp("time") >= date_trunc('week', current_timestamp)`, 1) +
			`SELECT "time", kind, actor, "key", versionid, previousversionid
FROM changes WHERE copy = 1
ORDER BY from_iso8601_timestamp("time")`,
	},
}
