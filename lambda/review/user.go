package review

import "time"

// User is the IAM state of one user: everything the review reads. Zero
// times mean "never" or "unknown", as IAM leaves them out.
type User struct {
	UserName   string
	UserID     string
	Arn        string
	CreateDate time.Time

	// PasswordLastUsed is when the console password was last used. IAM keeps
	// it after a password is deleted, so it does not say a password exists:
	// LoginProfile does.
	PasswordLastUsed time.Time
	// LoginProfile is the console password; nil means no console access.
	LoginProfile *LoginProfile
	MFADevices   []MFADevice

	AccessKeys []AccessKey
	// StackKeyID is the access key the stack made for the user
	// (STACK_ACCESS_KEY_ID); "" when it made none. IAM does not know which
	// key the stack made: the reviewer is told. It is the one key intended.
	StackKeyID string

	InlinePolicies   []Policy
	AttachedPolicies []Policy
	Groups           []Group
}

// StackKey reports whether the stack made k.
func (u User) StackKey(k AccessKey) bool { return u.StackKeyID != "" && k.AccessKeyID == u.StackKeyID }

// LoginProfile is a user's console password.
type LoginProfile struct {
	CreateDate            time.Time
	PasswordResetRequired bool
}

// MFADevice is a registered MFA device.
type MFADevice struct {
	SerialNumber string
	EnableDate   time.Time
}

// AccessKey is one access key and its last use.
type AccessKey struct {
	AccessKeyID     string
	Status          string // "Active" or "Inactive"
	CreateDate      time.Time
	LastUsedDate    time.Time // zero: never used
	LastUsedService string    // "" when never used
}

// Active reports whether the key can sign requests.
func (k AccessKey) Active() bool { return k.Status != "Inactive" }

// Policy is an inline or managed policy with its document.
type Policy struct {
	Name      string
	Arn       string // managed policies only
	VersionID string // managed policies: the default version read
	Document  Document
	// Err is why the document could not be read; the review reports it
	// instead of guessing what the policy allows.
	Err error
}

// Group is a group the user belongs to, with the group's policies.
type Group struct {
	Name             string
	Arn              string
	InlinePolicies   []Policy
	AttachedPolicies []Policy
}
