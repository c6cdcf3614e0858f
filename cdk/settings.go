package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Settings returns the configuration by setting name, with values as the
// context of cdk.json holds them: strings, numbers and booleans. Read back
// through ConfigFromContext it gives the same Config.
func (c Config) Settings() map[string]any {
	return map[string]any{
		SettingAdminEmail:            strings.Join(c.AdminEmails, ","),
		SettingBucketName:            c.BucketName,
		SettingMediaUserName:         c.MediaUserName,
		SettingKeyPrefix:             c.KeyPrefix,
		SettingConsoleAccess:         c.ConsoleAccess,
		SettingCLIAccessKey:          c.CLIAccessKey,
		SettingAccessKeySerial:       c.AccessKeySerial,
		SettingAgencySourceCidrs:     strings.Join(c.AgencySourceCidrs, ","),
		SettingNameRoles:             c.NameRoles,
		SettingDigestWindowSeconds:   c.DigestWindowSeconds,
		SettingNoncurrentVersionDays: c.NoncurrentVersionDays,
		SettingHistoryDays:           c.HistoryDays,
		SettingLifecycleEvents:       c.LifecycleEvents,
		SettingRestoreEvents:         c.RestoreEvents,
		SettingReviewSchedule:        c.ReviewSchedule,
	}
}

// JSON renders Settings as one JSON object with sorted keys.
func (c Config) JSON() string {
	b, err := json.Marshal(c.Settings()) // maps marshal with sorted keys
	if err != nil {
		panic(err) // strings, numbers and booleans always marshal
	}
	return string(b)
}

// securitySettings change who may do what, or what can be recovered: a
// deploy that changes one of them says so and asks first.
var securitySettings = map[string]string{
	SettingAdminEmail:            "who receives the digests and alarms",
	SettingBucketName:            "a new name creates a new, empty bucket",
	SettingMediaUserName:         "replaces the agency's user and its credentials",
	SettingKeyPrefix:             "where in the bucket the agency may write",
	SettingConsoleAccess:         "the agency's console password",
	SettingCLIAccessKey:          "the agency's access key",
	SettingAccessKeySerial:       "replaces the agency's access key: the old one stops working at once",
	SettingAgencySourceCidrs:     "the addresses the agency may work from",
	SettingNameRoles:             "the notifier's right to list every IAM role",
	SettingNoncurrentVersionDays: "how long replaced and deleted images can be restored",
	SettingHistoryDays:           "how long the change history is kept",
}

// SettingChange is one setting whose value differs between two
// configurations.
type SettingChange struct {
	Name     string
	Old, New string
	// Why is set for a security setting: what the change affects.
	Why string
}

// DiffSettings lists the settings whose values differ from old to new, in
// name order.
func DiffSettings(old, new Config) []SettingChange {
	o, n := old.Settings(), new.Settings()
	var out []SettingChange
	for name, nv := range n {
		if reflect.DeepEqual(o[name], nv) {
			continue
		}
		out = append(out, SettingChange{Name: name, Old: settingText(o[name]), New: settingText(nv), Why: securitySettings[name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseSettings reads the JSON of Config.JSON back. A setting the JSON
// lacks (one a later version added) takes its default, as it did when that
// deployment was made.
func ParseSettings(s string) (Config, error) {
	var ctx map[string]any
	if err := json.Unmarshal([]byte(s), &ctx); err != nil {
		return Config{}, fmt.Errorf("settings: %w", err)
	}
	return ConfigFromContext(func(name string) any { return ctx[name] })
}

// settingText shows a value the way cdk.json holds it; "" for none.
func settingText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
