package bench

// Prices in US dollars, us-east-1, as AWS publishes them (2026).
const (
	LambdaPerRequest  = 0.20 / 1e6
	LambdaPerGBSecond = 0.0000133334 // arm64
	S3PerGet          = 0.0004 / 1000
	S3PerList         = 0.005 / 1000
	SNSPerPublish     = 0.50 / 1e6
	SNSPerEmail       = 2.00 / 100000
	// SQSPerRequest is the standard-queue price, reported apart.
	SQSPerRequest = 0.40 / 1e6
	// S3PerPut and S3PerGBMonth (S3 Standard) price the change history.
	S3PerPut     = 0.005 / 1000
	S3PerGBMonth = 0.023
)

// HistoryCost estimates what keeping a million changes in the change
// history costs, from measured figures.
type HistoryCost struct {
	// ChangesPerDigest is how many changes one record holds.
	ChangesPerDigest float64
	// ObjectsPerDigest is the PUTs per record: 1, a little more when
	// digests cross midnight.
	ObjectsPerDigest float64
	// BytesPerChange is the gzip size of a change's line.
	BytesPerChange float64
	// RetentionDays is how long a record is kept (historyDays).
	RetentionDays float64
	// SecondsPerDigest is what writing a record adds to an invocation
	// (encoding and the PUT), at MemoryGB.
	SecondsPerDigest, MemoryGB float64
}

// PerMillion returns the PUTs, the storage for the whole retention (a GB
// taken as 10^9 bytes, a month as 365.25/12 days: a little above what AWS
// bills) and the Lambda time of a million changes.
func (h HistoryCost) PerMillion() float64 {
	digests := 1e6 / h.ChangesPerDigest
	gbMonths := 1e6 * h.BytesPerChange / 1e9 * h.RetentionDays / (365.25 / 12)
	return digests*h.ObjectsPerDigest*S3PerPut + gbMonths*S3PerGBMonth +
		digests*h.SecondsPerDigest*h.MemoryGB*LambdaPerGBSecond
}

// Cost estimates what a million changes cost, from measured figures.
type Cost struct {
	// ChangesPerDigest is how many changes one invocation handles.
	ChangesPerDigest float64
	// SecondsPerDigest is one invocation's duration.
	SecondsPerDigest float64
	// MemoryGB is the function's memory.
	MemoryGB float64
	// GetsPerChange and ListsPerChange are the S3 calls enrichment makes.
	GetsPerChange, ListsPerChange float64
	// Subscribers is the number of e-mail addresses on the topic.
	Subscribers float64
}

// PerMillion returns the cost of a million changes in Lambda requests and
// duration, S3 reads, SNS publishes and e-mails.
func (c Cost) PerMillion() float64 {
	digests := 1e6 / c.ChangesPerDigest
	return digests*LambdaPerRequest +
		digests*c.SecondsPerDigest*c.MemoryGB*LambdaPerGBSecond +
		1e6*c.GetsPerChange*S3PerGet + 1e6*c.ListsPerChange*S3PerList +
		digests*SNSPerPublish + digests*c.Subscribers*SNSPerEmail
}

// SQSPerMillion is the queue's share: S3 sends each change (one request),
// and the event source mapping receives and deletes in batches of up to 10.
func (c Cost) SQSPerMillion() float64 {
	return (1e6 + 2*1e6/10) * SQSPerRequest
}
