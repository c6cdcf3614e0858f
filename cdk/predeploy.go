package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// StackDescriber reads a deployed stack; *cloudformation.Client satisfies
// it.
type StackDescriber interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var _ StackDescriber = (*cloudformation.Client)(nil)

// SettingsOutput is the stack output that records a deployment's settings.
const SettingsOutput = "Settings"

// describeTimeout bounds the one CloudFormation call before a deploy.
const describeTimeout = 20 * time.Second

// Predeploy runs before `cdk deploy` (make deploy): it prints the settings
// of the synthesized template, compares them with those of the deployed
// stack, and asks before a deploy that changes a security setting. confirm
// answers the question ahead (CONFIRM=yes); otherwise the answer is read
// from in when interactive, and refused when not.
type Predeploy struct {
	Stacks      StackDescriber
	In          io.Reader
	Out         io.Writer
	Interactive bool
	Confirm     string
}

// ErrNotConfirmed is returned when a security setting would change and
// nobody said yes.
var ErrNotConfirmed = errors.New("deploy not confirmed: a security setting would change (answer yes, or run with CONFIRM=yes)")

// Run checks the template at path against the deployed stack.
func (p *Predeploy) Run(ctx context.Context, path string) error {
	next, err := templateSettings(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.Out, "Settings of this deploy (cdk.json's context, then -c flags):\n")
	writeSettings(p.Out, next)

	deployed, found, err := p.deployedSettings(ctx)
	switch {
	case err != nil:
		return err
	case !found:
		fmt.Fprintf(p.Out, "\nStack %s is not deployed yet in this account and Region: this is its first deploy.\n", StackName)
		return nil
	case deployed == nil:
		fmt.Fprintf(p.Out, "\nThe deployed stack %s records no settings (it predates the %s output): nothing to compare.\n", StackName, SettingsOutput)
		return nil
	}
	changes := DiffSettings(*deployed, next)
	if len(changes) == 0 {
		fmt.Fprintf(p.Out, "\nNo setting changes from the deployed stack.\n")
		return nil
	}
	fmt.Fprintf(p.Out, "\nChanges from the deployed stack:\n")
	security := 0
	for _, c := range changes {
		mark := "  "
		if c.Why != "" {
			mark = "! "
			security++
		}
		fmt.Fprintf(p.Out, "%s%s: %s -> %s", mark, c.Name, shown(c.Old), shown(c.New))
		if c.Why != "" {
			fmt.Fprintf(p.Out, "  (%s)", c.Why)
		}
		fmt.Fprintln(p.Out)
	}
	if security == 0 {
		return nil
	}
	fmt.Fprintf(p.Out, "\nWARNING: %d security setting(s) would change (marked !). A setting left out of cdk.json and -c returns to its default.\n", security)
	switch {
	case strings.EqualFold(p.Confirm, "yes"):
		fmt.Fprintln(p.Out, "CONFIRM=yes: going on.")
		return nil
	case !p.Interactive:
		return ErrNotConfirmed
	}
	fmt.Fprint(p.Out, "Deploy with these changes? Type yes to go on: ")
	answer, _ := bufio.NewReader(p.In).ReadString('\n')
	if strings.TrimSpace(strings.ToLower(answer)) != "yes" {
		return ErrNotConfirmed
	}
	return nil
}

// deployedSettings reads the Settings output of the deployed stack. found
// is false when there is no such stack; cfg is nil when the stack has no
// Settings output.
func (p *Predeploy) deployedSettings(ctx context.Context) (cfg *Config, found bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, describeTimeout)
	defer cancel()
	out, err := p.Stacks.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(StackName)})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationError" && strings.Contains(api.ErrorMessage(), "does not exist") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("predeploy: describe stack %s with the credentials and Region cdk deploy will use: %w", StackName, err)
	}
	if len(out.Stacks) == 0 {
		return nil, false, nil
	}
	for _, o := range out.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) != SettingsOutput {
			continue
		}
		c, err := ParseSettings(aws.ToString(o.OutputValue))
		if err != nil {
			return nil, true, fmt.Errorf("predeploy: the deployed stack's %s output: %w", SettingsOutput, err)
		}
		return &c, true, nil
	}
	return nil, true, nil
}

// templateSettings reads the Settings output of a synthesized template.
func templateSettings(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("predeploy: %w (run make synth first)", err)
	}
	var tpl struct {
		Outputs map[string]struct {
			Value any `json:"Value"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		return Config{}, fmt.Errorf("predeploy: %s: %w", path, err)
	}
	v, ok := tpl.Outputs[SettingsOutput].Value.(string)
	if !ok {
		return Config{}, fmt.Errorf("predeploy: %s has no %s output", path, SettingsOutput)
	}
	return ParseSettings(v)
}

func writeSettings(w io.Writer, c Config) {
	s := c.Settings()
	width := 0
	for name := range s {
		width = max(width, len(name))
	}
	for _, name := range settingNames() {
		mark := "  "
		if securitySettings[name] != "" {
			mark = "! "
		}
		fmt.Fprintf(w, "%s%-*s  %s\n", mark, width, name, shown(settingText(s[name])))
	}
}

// settingNames lists the settings in the order of the README's table.
func settingNames() []string {
	return []string{
		SettingAdminEmail, SettingBucketName, SettingMediaUserName, SettingKeyPrefix,
		SettingConsoleAccess, SettingCLIAccessKey, SettingAccessKeySerial, SettingAgencySourceCidrs,
		SettingNameRoles, SettingDigestWindowSeconds, SettingNoncurrentVersionDays, SettingHistoryDays,
		SettingLifecycleEvents, SettingRestoreEvents, SettingReviewSchedule,
	}
}

func shown(v string) string {
	if v == "" {
		return "(none)"
	}
	return v
}
