package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// wireSchemas returns what Terraform sees: the schemas as the provider
// serves them over protocol 6.
func wireSchemas(t *testing.T) *tfprotov6.GetProviderSchemaResponse {
	t.Helper()
	srv, err := providerserver.NewProtocol6WithError(newProvider())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	return resp
}

// find walks "a.b.c" through nested blocks to an attribute (or a block when
// the last element names one).
func find(block *tfprotov6.SchemaBlock, path string) (*tfprotov6.SchemaAttribute, *tfprotov6.SchemaNestedBlock) {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		last := i == len(parts)-1
		for _, a := range block.Attributes {
			if a.Name == p && last {
				return a, nil
			}
		}
		var next *tfprotov6.SchemaNestedBlock
		for _, b := range block.BlockTypes {
			if b.TypeName == p {
				next = b
			}
		}
		if next == nil {
			return nil, nil
		}
		if last {
			return nil, next
		}
		block = next.Block
	}
	return nil, nil
}

// Facts from the real provider v6.7.34 (ionoscloud/resource_*.go,
// data_source_*.go at commit 62ea59ad), the ones the stack relies on and the
// ones where the docs disagree with the code.
func TestSchemaMatchesTheRealProvider(t *testing.T) {
	resp := wireSchemas(t)
	type attr struct {
		path     string
		typ      tftypes.Type
		flags    string // R, O, C, OC
		sensitve bool
	}
	objList := func(fields map[string]tftypes.Type) tftypes.Type {
		return tftypes.List{ElementType: tftypes.Object{AttributeTypes: fields}}
	}
	str, num, boolean := tftypes.String, tftypes.Number, tftypes.Bool
	strList := tftypes.List{ElementType: tftypes.String}
	cases := map[string][]attr{
		"resource ionoscloud_datacenter": {
			{"name", str, "R", false}, {"location", str, "R", false}, {"description", str, "OC", false},
			{"version", num, "C", false}, {"features", tftypes.Set{ElementType: str}, "C", false}, {"id", str, "OC", false},
		},
		"resource ionoscloud_lan": {
			{"datacenter_id", str, "R", false}, {"public", boolean, "O", false}, {"name", str, "O", false},
			{"ipv4_cidr_block", str, "C", false}, {"ip_failover.ip", str, "C", false},
		},
		"resource ionoscloud_ipblock": {
			{"location", str, "R", false}, {"size", num, "R", false}, {"ips", strList, "C", false},
		},
		"resource ionoscloud_k8s_cluster": {
			{"name", str, "R", false}, {"k8s_version", str, "OC", false}, {"public", boolean, "O", false},
			{"api_subnet_allow_list", strList, "O", false}, {"maintenance_window.time", str, "R", false},
			{"maintenance_window.day_of_the_week", str, "R", false}, {"timeouts.default", str, "O", false},
		},
		"resource ionoscloud_k8s_node_pool": {
			{"k8s_version", str, "R", false}, // docs say Optional; the code says Required
			{"datacenter_id", str, "R", false}, {"k8s_cluster_id", str, "R", false},
			{"availability_zone", str, "R", false}, {"storage_type", str, "R", false},
			{"node_count", num, "R", false}, {"cores_count", num, "R", false}, {"ram_size", num, "R", false},
			{"storage_size", num, "R", false}, {"server_type", str, "O", false}, {"public_ips", strList, "O", false},
			{"labels", tftypes.Map{ElementType: str}, "O", false},
			{"auto_scaling.min_node_count", num, "R", false}, {"auto_scaling.max_node_count", num, "R", false},
			{"lans.id", num, "R", false}, {"lans.dhcp", boolean, "O", false}, {"lans.routes.gateway_ip", str, "R", false},
		},
		"resource ionoscloud_container_registry": {
			{"name", str, "R", false}, {"location", str, "R", false}, {"hostname", str, "C", false},
			{"garbage_collection_schedule.days", strList, "R", false}, {"garbage_collection_schedule.time", str, "R", false},
			{"features.vulnerability_scanning", boolean, "OC", false}, {"api_subnet_allow_list", strList, "O", false},
			{"storage_usage", objList(map[string]tftypes.Type{"bytes": num, "updated_at": str}), "C", false},
		},
		"resource ionoscloud_container_registry_token": {
			{"registry_id", str, "R", false}, {"name", str, "R", false},
			{"expiry_date", str, "O", false}, // docs misspell it expiry-date
			{"status", str, "OC", false}, {"scopes.actions", strList, "R", false},
			// password is Sensitive in Go, but SDKv2 drops nested flags of a computed-only list.
			{"credentials", objList(map[string]tftypes.Type{"username": str, "password": str}), "C", false},
		},
		"resource ionoscloud_volume": {
			{"server_id", str, "R", false}, {"datacenter_id", str, "R", false}, {"size", num, "R", false},
			{"disk_type", str, "R", false}, {"licence_type", str, "OC", false}, {"bus", str, "OC", false},
		},
		"data ionoscloud_k8s_cluster": {
			{"id", str, "OC", false}, {"state", str, "C", false},
			{"kube_config", str, "C", false}, // not sensitive in the real provider: the stack marks its output sensitive
			{"server", str, "C", true}, {"ca_crt", str, "C", true},
			{"user_tokens", tftypes.Map{ElementType: str}, "C", true},
		},
		"data ionoscloud_k8s_node_pool_nodes": {
			{"k8s_cluster_id", str, "R", false}, {"node_pool_id", str, "R", false}, {"id", str, "OC", false},
			{"nodes", objList(map[string]tftypes.Type{"id": str, "name": str, "public_ip": str, "private_ip": str, "k8s_version": str}), "C", false},
		},
		"data ionoscloud_container_registry_locations": {
			{"id", str, "OC", false}, {"locations", strList, "C", false},
		},
		"data ionoscloud_k8s_node_pool": {
			{"k8s_cluster_id", str, "R", false}, {"id", str, "OC", false}, {"state", str, "C", false},
			{"public_ips", strList, "C", false},
		},
	}
	for name, attrs := range cases {
		kind, typ, _ := strings.Cut(name, " ")
		schemas := resp.ResourceSchemas
		if kind == "data" {
			schemas = resp.DataSourceSchemas
		}
		s, ok := schemas[typ]
		if !ok {
			t.Errorf("%s is not served", name)
			continue
		}
		for _, want := range attrs {
			a, _ := find(s.Block, want.path)
			if a == nil {
				t.Errorf("%s: no attribute %s", name, want.path)
				continue
			}
			flags := map[[3]bool]string{{true, false, false}: "R", {false, true, false}: "O", {false, false, true}: "C", {false, true, true}: "OC"}[[3]bool{a.Required, a.Optional, a.Computed}]
			if flags != want.flags {
				t.Errorf("%s.%s: flags %s, want %s", name, want.path, flags, want.flags)
			}
			if !a.Type.Equal(want.typ) {
				t.Errorf("%s.%s: type %s, want %s", name, want.path, a.Type, want.typ)
			}
			if a.Sensitive != want.sensitve {
				t.Errorf("%s.%s: sensitive %v, want %v", name, want.path, a.Sensitive, want.sensitve)
			}
		}
	}

	// Blocks, not attributes, where SDKv2 makes them blocks; set nesting for
	// node pool LANs; node pool schema version 1.
	blocks := map[string]tfprotov6.SchemaNestedBlockNestingMode{
		"ionoscloud_k8s_cluster.maintenance_window":                 tfprotov6.SchemaNestedBlockNestingModeList,
		"ionoscloud_k8s_node_pool.auto_scaling":                     tfprotov6.SchemaNestedBlockNestingModeList,
		"ionoscloud_k8s_node_pool.lans":                             tfprotov6.SchemaNestedBlockNestingModeSet,
		"ionoscloud_k8s_node_pool.timeouts":                         tfprotov6.SchemaNestedBlockNestingModeSingle,
		"ionoscloud_container_registry.garbage_collection_schedule": tfprotov6.SchemaNestedBlockNestingModeList,
		"ionoscloud_container_registry.features":                    tfprotov6.SchemaNestedBlockNestingModeList,
		"ionoscloud_container_registry_token.scopes":                tfprotov6.SchemaNestedBlockNestingModeList,
		"ionoscloud_ipblock.ip_consumers":                           tfprotov6.SchemaNestedBlockNestingModeList,
	}
	for path, mode := range blocks {
		typ, rest, _ := strings.Cut(path, ".")
		_, b := find(resp.ResourceSchemas[typ].Block, rest)
		if b == nil {
			t.Errorf("%s is not a block", path)
		} else if b.Nesting != mode {
			t.Errorf("%s nesting %v, want %v", path, b.Nesting, mode)
		}
	}
	if v := resp.ResourceSchemas["ionoscloud_k8s_node_pool"].Version; v != 1 {
		t.Errorf("ionoscloud_k8s_node_pool schema version %d, want 1", v)
	}
	for _, a := range resp.Provider.Block.Attributes {
		if a.Sensitive || a.Required {
			t.Errorf("provider argument %s: the real provider has every argument optional and none sensitive", a.Name)
		}
	}
}

// forceNewInV6734 lists, per resource, the attributes the real provider marks
// ForceNew (ionoscloud/resource_*.go at tag v6.7.34, commit 62ea59ad).
var forceNewInV6734 = map[string][]string{
	"datacenter":               {"location"},
	"lan":                      {"datacenter_id", "location"},
	"ipblock":                  {"location", "size"},
	"k8s_cluster":              {"public", "nat_gateway_ip", "node_subnet", "location"},
	"k8s_node_pool":            {"name", "datacenter_id", "k8s_cluster_id", "location", "cpu_family", "availability_zone", "storage_type", "cores_count", "ram_size", "storage_size"},
	"container_registry":       {"location", "name"},
	"container_registry_token": {"name", "location"},
	"volume":                   {"datacenter_id", "location"},
}

// TestForceNewIsRequiresReplace holds the stand-in's replacements to the
// real provider's ForceNew flags, both ways: a missing one would hide a
// replacement from the stack's tests, an extra one invent one.
func TestForceNewIsRequiresReplace(t *testing.T) {
	ctx := context.Background()
	for _, r := range resourceSchemas() {
		want, ok := forceNewInV6734[r.name]
		if !ok {
			t.Errorf("ionoscloud_%s: no ForceNew list from the real provider in this test", r.name)
			continue
		}
		for name, a := range r.schema.Attributes {
			replaces := false
			if pm, ok := a.(interface{ StringPlanModifiers() []planmodifier.String }); ok {
				for _, m := range pm.StringPlanModifiers() {
					replaces = replaces || strings.Contains(m.Description(ctx), "destroy and recreate")
				}
			}
			if pm, ok := a.(interface{ Int64PlanModifiers() []planmodifier.Int64 }); ok {
				for _, m := range pm.Int64PlanModifiers() {
					replaces = replaces || strings.Contains(m.Description(ctx), "destroy and recreate")
				}
			}
			if pm, ok := a.(interface{ BoolPlanModifiers() []planmodifier.Bool }); ok {
				for _, m := range pm.BoolPlanModifiers() {
					replaces = replaces || strings.Contains(m.Description(ctx), "destroy and recreate")
				}
			}
			if replaces != slices.Contains(want, name) {
				t.Errorf("ionoscloud_%s.%s: RequiresReplace %v, but the real provider's ForceNew is %v", r.name, name, replaces, !replaces)
			}
		}
	}
}

// The registry locations are the one read the stand-in answers (with its
// fixture list): Terraform reads that argument-less data source in every plan.
func TestRegistryLocationsAreServed(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(newProvider())()
	if err != nil {
		t.Fatal(err)
	}
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"id": tftypes.String, "locations": tftypes.List{ElementType: tftypes.String},
		"timeouts": tftypes.Object{AttributeTypes: map[string]tftypes.Type{"create": tftypes.String, "update": tftypes.String, "delete": tftypes.String, "default": tftypes.String}},
	}}
	cfg, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, nil), "locations": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, nil),
		"timeouts": tftypes.NewValue(typ.AttributeTypes["timeouts"], nil),
	}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "ionoscloud_container_registry_locations", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Fatalf("reading the registry locations: %s: %s", d.Summary, d.Detail)
	}
	v, err := resp.State.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]tftypes.Value
	if err := v.As(&m); err != nil {
		t.Fatal(err)
	}
	var locs []tftypes.Value
	if err := m["locations"].As(&locs); err != nil || len(locs) != len(RegistryLocations) {
		t.Fatalf("locations = %v (%v), want %v", m["locations"], err, RegistryLocations)
	}
}

// The stand-in must never pretend to manage infrastructure.
func TestOperationsRefuse(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(newProvider())()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{TypeName: "ionoscloud_k8s_cluster"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range resp.Diagnostics {
		found = found || strings.Contains(d.Detail, "stand-in provider for tests only")
	}
	if !found {
		t.Fatalf("reading a data source did not refuse with the stand-in notice: %+v", resp.Diagnostics)
	}
}
