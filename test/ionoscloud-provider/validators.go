package main

// Hand-written validators: terraform-plugin-framework-validators would do,
// but it is not in the module's dependency set, and these few mirror the
// real provider's SDKv2 validations (StringIsNotWhiteSpace, StringMatch,
// StringInSlice, IsUUID, IsCIDR, IntAtLeast, IsDayOfTheWeek, MaxItems) closely
// enough for plan-time checks.

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type stringCheck struct {
	desc  string
	check func(string) bool
}

func (v stringCheck) Description(context.Context) string         { return v.desc }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.desc }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if s := req.ConfigValue.ValueString(); !v.check(s) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("%s: got %q", v.desc, s))
	}
}

func notBlank() validator.String {
	return stringCheck{"expected a value that is not empty or whitespace", func(s string) bool { return strings.TrimSpace(s) != "" }}
}

func matches(re *regexp.Regexp, desc string) validator.String {
	return stringCheck{desc, re.MatchString}
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)

func isUUID() validator.String { return matches(uuidRE, "must be a valid UUID") }

func isCIDR() validator.String {
	return stringCheck{"must be a valid CIDR network address", func(s string) bool { _, _, err := net.ParseCIDR(s); return err == nil }}
}

// oneOf mirrors SDKv2 StringInSlice(values, ignoreCase).
func oneOf(ignoreCase bool, values ...string) validator.String {
	return stringCheck{"expected one of " + strings.Join(values, ", "), func(s string) bool {
		for _, v := range values {
			if s == v || (ignoreCase && strings.EqualFold(s, v)) {
				return true
			}
		}
		return false
	}}
}

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

type int64AtLeast int64

func (v int64AtLeast) Description(context.Context) string {
	return fmt.Sprintf("expected a value of at least %d", int64(v))
}
func (v int64AtLeast) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v int64AtLeast) ValidateInt64(ctx context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if req.ConfigValue.ValueInt64() < int64(v) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("%s, got %d", v.Description(ctx), req.ConfigValue.ValueInt64()))
	}
}

// maxItems stands in for SDKv2 MaxItems, which the framework cannot put on
// the wire for blocks.
type maxItems int

func (v maxItems) Description(context.Context) string {
	return fmt.Sprintf("at most %d block(s) allowed", int(v))
}
func (v maxItems) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v maxItems) ValidateList(ctx context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if n := len(req.ConfigValue.Elements()); n > int(v) {
		resp.Diagnostics.AddAttributeError(req.Path, "Too many blocks", fmt.Sprintf("%s, got %d", v.Description(ctx), n))
	}
}

// eachString applies a string check to every known element of a list.
type eachString struct{ inner stringCheck }

func (v eachString) Description(ctx context.Context) string {
	return "each element: " + v.inner.Description(ctx)
}
func (v eachString) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v eachString) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for i, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		if !v.inner.check(s.ValueString()) {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i), "Invalid value", fmt.Sprintf("%s: got %q", v.inner.desc, s.ValueString()))
		}
	}
}

func eachDayOfWeek() validator.List {
	return eachString{oneOf(true, weekdays...).(stringCheck)}
}
