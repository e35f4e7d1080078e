package main

// The schemas below copy ionos-cloud/terraform-provider-ionoscloud v6.7.34
// (ionoscloud/resource_*.go and data_source_*.go at commit 62ea59ad) as
// Terraform sees them on the wire. The real provider is written with SDKv2,
// whose conversion rules decide the shapes:
//   - TypeInt is a number (Int64 here), TypeMap a map(string);
//   - a computed-only nested Elem Resource is an ATTRIBUTE of type
//     list(object), not a block; only its top-level Sensitive flag survives;
//   - any other nested Elem Resource is a BLOCK (list or set nesting);
//   - every resource has an implicit optional+computed "id";
//   - resources and data sources with Timeouts have a single "timeouts" block
//     with create, update, delete and default (no read).
// Plan behaviour follows SDKv2 too, so that a plan against this binary says
// what the real provider would do with an existing resource:
//   - ForceNew attributes carry RequiresReplace (forceNew below lists them
//     per resource, as the real source marks them), so a change of one plans
//     a replacement; on an optional+computed one only when it is configured;
//   - computed attributes keep their prior value on update (SDKv2 keeps state
//     unless the provider says otherwise); the framework would otherwise plan
//     them unknown, and an unknown id would look like a replacement.
// SDKv2 defaults (for example server_type = "DedicatedCore") are applied by
// the real provider at plan time and do not show on the wire, so they are
// not copied here. MaxItems = 1 cannot be put on the wire by the framework;
// a validator enforces it instead.

import (
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	ds "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rs "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type (
	rschema = rs.Schema
	dschema = ds.Schema
)

// mode is an attribute's required/optional/computed combination.
type mode int

const (
	required mode = iota
	optional
	computed
	optionalComputed
)

func (f mode) split() (req, opt, comp bool) {
	return f == required, f == optional || f == optionalComputed, f == computed || f == optionalComputed
}

func rStr(f mode, v ...validator.String) rs.StringAttribute {
	r, o, c := f.split()
	return rs.StringAttribute{Required: r, Optional: o, Computed: c, Validators: v}
}

func rNum(f mode, v ...validator.Int64) rs.Int64Attribute {
	r, o, c := f.split()
	return rs.Int64Attribute{Required: r, Optional: o, Computed: c, Validators: v}
}

func rBool(f mode) rs.BoolAttribute {
	r, o, c := f.split()
	return rs.BoolAttribute{Required: r, Optional: o, Computed: c}
}

func rList(f mode, elem attr.Type, v ...validator.List) rs.ListAttribute {
	r, o, c := f.split()
	return rs.ListAttribute{ElementType: elem, Required: r, Optional: o, Computed: c, Validators: v}
}

func rSet(f mode, elem attr.Type) rs.SetAttribute {
	r, o, c := f.split()
	return rs.SetAttribute{ElementType: elem, Required: r, Optional: o, Computed: c}
}

func rMap(f mode) rs.MapAttribute {
	r, o, c := f.split()
	return rs.MapAttribute{ElementType: types.StringType, Required: r, Optional: o, Computed: c}
}

func dStr(f mode, v ...validator.String) ds.StringAttribute {
	r, o, c := f.split()
	return ds.StringAttribute{Required: r, Optional: o, Computed: c, Validators: v}
}

func dNum(f mode) ds.Int64Attribute {
	r, o, c := f.split()
	return ds.Int64Attribute{Required: r, Optional: o, Computed: c}
}

func dBool(f mode) ds.BoolAttribute {
	r, o, c := f.split()
	return ds.BoolAttribute{Required: r, Optional: o, Computed: c}
}

func dList(f mode, elem attr.Type) ds.ListAttribute {
	r, o, c := f.split()
	return ds.ListAttribute{ElementType: elem, Required: r, Optional: o, Computed: c}
}

func dMap(f mode) ds.MapAttribute {
	r, o, c := f.split()
	return ds.MapAttribute{ElementType: types.StringType, Required: r, Optional: o, Computed: c}
}

func obj(fields map[string]attr.Type) types.ObjectType { return types.ObjectType{AttrTypes: fields} }

var (
	str      = types.StringType
	num      = types.Int64Type
	boolean  = types.BoolType
	strMap   = types.MapType{ElemType: types.StringType}
	nameRE   = regexp.MustCompile(`^[a-z][-a-z0-9]{1,61}[a-z0-9]$`)
	nameDesc = "must start with a lowercase letter, contain only lowercase alphanumeric characters or hyphens, and be 3-63 characters long"
)

// timeouts is the SDKv2 timeouts block of resourceDefaultTimeouts (60m) and
// ResourceK8sNodePoolTimeout (3h): same keys, different defaults.
func rTimeouts() rs.SingleNestedBlock {
	return rs.SingleNestedBlock{Attributes: map[string]rs.Attribute{
		"create": rStr(optional), "update": rStr(optional), "delete": rStr(optional), "default": rStr(optional),
	}}
}

func dTimeouts() ds.SingleNestedBlock {
	return ds.SingleNestedBlock{Attributes: map[string]ds.Attribute{
		"create": dStr(optional), "update": dStr(optional), "delete": dStr(optional), "default": dStr(optional),
	}}
}

// newResource builds a resource schema with the implicit SDKv2 id and timeouts.
func newResource(name string, version int64, attrs map[string]rs.Attribute, blocks map[string]rs.Block) standInResource {
	attrs["id"] = rStr(optionalComputed)
	if blocks == nil {
		blocks = map[string]rs.Block{}
	}
	blocks["timeouts"] = rTimeouts()
	return standInResource{name: name, schema: rs.Schema{
		Version:     version,
		Description: "STAND-IN FOR TESTS ONLY: schema of ionoscloud_" + name + " v6.7.34; every operation fails.",
		Attributes:  attrs,
		Blocks:      blocks,
	}}
}

// forceNew marks the named top-level attributes ForceNew (RequiresReplace)
// and gives every computed top-level attribute SDKv2's keep-the-prior-value
// plan. It panics on a name the schema lacks, so a typo cannot silently
// drop a replacement.
func (r standInResource) forceNew(names ...string) standInResource {
	fn := map[string]bool{}
	for _, n := range names {
		if _, ok := r.schema.Attributes[n]; !ok {
			panic("ionoscloud_" + r.name + ": forceNew names unknown attribute " + n)
		}
		fn[n] = true
	}
	for name, a := range r.schema.Attributes {
		r.schema.Attributes[name] = sdkv2Plan(a, fn[name])
	}
	return r
}

func sdkv2Plan(a rs.Attribute, forceNew bool) rs.Attribute {
	switch a := a.(type) {
	case rs.StringAttribute:
		if a.Computed {
			a.PlanModifiers = append(a.PlanModifiers, stringplanmodifier.UseStateForUnknown())
		}
		if forceNew {
			a.PlanModifiers = append(a.PlanModifiers, pick(a.Computed, stringplanmodifier.RequiresReplaceIfConfigured, stringplanmodifier.RequiresReplace))
		}
		return a
	case rs.Int64Attribute:
		if a.Computed {
			a.PlanModifiers = append(a.PlanModifiers, int64planmodifier.UseStateForUnknown())
		}
		if forceNew {
			a.PlanModifiers = append(a.PlanModifiers, pick(a.Computed, int64planmodifier.RequiresReplaceIfConfigured, int64planmodifier.RequiresReplace))
		}
		return a
	case rs.BoolAttribute:
		if a.Computed {
			a.PlanModifiers = append(a.PlanModifiers, boolplanmodifier.UseStateForUnknown())
		}
		if forceNew {
			a.PlanModifiers = append(a.PlanModifiers, pick(a.Computed, boolplanmodifier.RequiresReplaceIfConfigured, boolplanmodifier.RequiresReplace))
		}
		return a
	case rs.ListAttribute:
		if forceNew {
			panic("forceNew on a list attribute is not needed by any resource here")
		}
		if a.Computed {
			a.PlanModifiers = append(a.PlanModifiers, listplanmodifier.UseStateForUnknown())
		}
		return a
	case rs.SetAttribute:
		if forceNew {
			panic("forceNew on a set attribute is not needed by any resource here")
		}
		if a.Computed {
			a.PlanModifiers = append(a.PlanModifiers, setplanmodifier.UseStateForUnknown())
		}
		return a
	case rs.MapAttribute:
		if forceNew {
			panic("forceNew on a map attribute is not needed by any resource here")
		}
		if a.Computed {
			a.PlanModifiers = append(a.PlanModifiers, mapplanmodifier.UseStateForUnknown())
		}
		return a
	}
	panic("unexpected attribute type")
}

func pick[T any](computed bool, ifConfigured, always func() T) T {
	if computed {
		return ifConfigured()
	}
	return always()
}

func newDataSource(name string, attrs map[string]ds.Attribute) standInDataSource {
	return standInDataSource{name: name, schema: ds.Schema{
		Description: "STAND-IN FOR TESTS ONLY: schema of data source ionoscloud_" + name + " v6.7.34; reading fails.",
		Attributes:  attrs,
		Blocks:      map[string]ds.Block{"timeouts": dTimeouts()},
	}}
}

func maintenanceWindowBlock() rs.ListNestedBlock {
	return rs.ListNestedBlock{
		NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
			"time":            rStr(required, notBlank()),
			"day_of_the_week": rStr(required, notBlank()),
		}},
		Validators: []validator.List{maxItems(1)},
	}
}

func resourceSchemas() []standInResource {
	return []standInResource{
		newResource("datacenter", 0, map[string]rs.Attribute{
			"name":                rStr(required, notBlank()),
			"location":            rStr(required),
			"description":         rStr(optionalComputed),
			"sec_auth_protection": rBool(optional),
			"version":             rNum(computed),
			"features":            rSet(computed, str),
			"cpu_architecture": rList(computed, obj(map[string]attr.Type{
				"cpu_family": str, "max_cores": num, "max_ram": num, "vendor": str,
			})),
			"ipv6_cidr_block": rStr(computed),
		}, nil).forceNew("location"),

		newResource("lan", 0, map[string]rs.Attribute{
			"public":          rBool(optional),
			"name":            rStr(optional),
			"datacenter_id":   rStr(required, notBlank()),
			"location":        rStr(optional),
			"pcc":             rStr(optional),
			"ipv4_cidr_block": rStr(computed),
			"ipv6_cidr_block": rStr(optionalComputed),
		}, map[string]rs.Block{
			"ip_failover": rs.ListNestedBlock{NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
				"ip": rStr(computed), "nic_uuid": rStr(computed),
			}}},
		}).forceNew("datacenter_id", "location"),

		newResource("ipblock", 0, map[string]rs.Attribute{
			"name":     rStr(optional),
			"location": rStr(required, notBlank()),
			"size":     rNum(required),
			"ips":      rList(computed, str),
		}, map[string]rs.Block{
			"ip_consumers": rs.ListNestedBlock{NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
				"ip": rStr(computed), "mac": rStr(computed), "nic_id": rStr(computed),
				"server_id": rStr(computed), "server_name": rStr(computed),
				"datacenter_id": rStr(computed), "datacenter_name": rStr(computed),
				"k8s_nodepool_uuid": rStr(computed), "k8s_cluster_uuid": rStr(computed),
			}}},
		}).forceNew("location", "size"),

		newResource("k8s_cluster", 0, map[string]rs.Attribute{
			"name":                      rStr(required, notBlank()),
			"k8s_version":               rStr(optionalComputed),
			"viable_node_pool_versions": rList(computed, str),
			"public":                    rBool(optional),
			"nat_gateway_ip":            rStr(optional),
			"node_subnet":               rStr(optionalComputed, isCIDR()),
			"location":                  rStr(optional),
			"allow_replace":             rBool(optional),
			"api_subnet_allow_list":     rList(optional, str),
		}, map[string]rs.Block{
			"maintenance_window": maintenanceWindowBlock(),
			"s3_buckets": rs.ListNestedBlock{NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
				"name": rStr(optional),
			}}},
		}).forceNew("public", "nat_gateway_ip", "node_subnet", "location"),

		newResource("k8s_node_pool", 1, map[string]rs.Attribute{
			"name":              rStr(required, notBlank()),
			"k8s_version":       rStr(required),
			"datacenter_id":     rStr(required, isUUID()),
			"k8s_cluster_id":    rStr(required, isUUID()),
			"location":          rStr(optional),
			"cpu_family":        rStr(optional, notBlank()),
			"server_type":       rStr(optional, oneOf(false, "DedicatedCore", "VCPU")),
			"availability_zone": rStr(required, oneOf(true, "AUTO", "ZONE_1", "ZONE_2")),
			"storage_type":      rStr(required, notBlank()),
			"node_count":        rNum(required),
			"cores_count":       rNum(required),
			"ram_size":          rNum(required),
			"storage_size":      rNum(required),
			"public_ips":        rList(optional, str),
			"labels":            rMap(optional),
			"annotations":       rMap(optional),
			"allow_replace":     rBool(optional),
		}, map[string]rs.Block{
			"auto_scaling": rs.ListNestedBlock{
				NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
					"min_node_count": rNum(required, int64AtLeast(1)),
					"max_node_count": rNum(required, int64AtLeast(1)),
				}},
				Validators: []validator.List{maxItems(1)},
			},
			"lans": rs.SetNestedBlock{NestedObject: rs.NestedBlockObject{
				Attributes: map[string]rs.Attribute{
					"id":   rNum(required),
					"dhcp": rBool(optional),
				},
				Blocks: map[string]rs.Block{
					"routes": rs.SetNestedBlock{NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
						"network":    rStr(required, notBlank()),
						"gateway_ip": rStr(required, notBlank()),
					}}},
				},
			}},
			"maintenance_window": maintenanceWindowBlock(),
		}).forceNew("name", "datacenter_id", "k8s_cluster_id", "location", "cpu_family", "availability_zone",
			"storage_type", "cores_count", "ram_size", "storage_size"),

		newResource("container_registry", 0, map[string]rs.Attribute{
			"hostname":              rStr(computed),
			"location":              rStr(required, notBlank()),
			"name":                  rStr(required, matches(nameRE, nameDesc)),
			"api_subnet_allow_list": rList(optional, str),
			"storage_usage":         rList(computed, obj(map[string]attr.Type{"bytes": num, "updated_at": str})),
		}, map[string]rs.Block{
			"garbage_collection_schedule": rs.ListNestedBlock{
				NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
					"time": rStr(required),
					"days": rList(required, str, eachDayOfWeek()),
				}},
				Validators: []validator.List{maxItems(1)},
			},
			"features": rs.ListNestedBlock{
				NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
					"vulnerability_scanning": rBool(optionalComputed),
				}},
				Validators: []validator.List{maxItems(1)},
			},
		}).forceNew("name", "location"),

		newResource("container_registry_token", 0, map[string]rs.Attribute{
			// password is Sensitive in the Go schema, but SDKv2 drops nested
			// flags of computed-only lists, so it is not sensitive on the wire.
			"credentials":           rList(computed, obj(map[string]attr.Type{"username": str, "password": str})),
			"expiry_date":           rStr(optional),
			"name":                  rStr(required, matches(nameRE, nameDesc)),
			"status":                rStr(optionalComputed, oneOf(true, "enabled", "disabled")),
			"registry_id":           rStr(required, isUUID()),
			"save_password_to_file": rStr(optional, notBlank()),
			"location":              rStr(optional),
		}, map[string]rs.Block{
			"scopes": rs.ListNestedBlock{NestedObject: rs.NestedBlockObject{Attributes: map[string]rs.Attribute{
				"actions": rList(required, str),
				"name":    rStr(required),
				"type":    rStr(required),
			}}},
		}).forceNew("name", "location"),

		newResource("volume", 0, map[string]rs.Attribute{
			"image_name":             rStr(optional),
			"image":                  rStr(computed),
			"image_id":               rStr(computed),
			"size":                   rNum(required),
			"disk_type":              rStr(required, notBlank()),
			"image_password":         rStr(optional),
			"licence_type":           rStr(optionalComputed),
			"ssh_key_path":           rList(optional, str),
			"ssh_keys":               rList(optional, str),
			"sshkey":                 rStr(computed),
			"bus":                    rStr(optionalComputed),
			"name":                   rStr(optional),
			"availability_zone":      rStr(optionalComputed, oneOf(true, "AUTO", "ZONE_1", "ZONE_2", "ZONE_3")),
			"cpu_hot_plug":           rBool(computed),
			"ram_hot_plug":           rBool(computed),
			"nic_hot_plug":           rBool(computed),
			"nic_hot_unplug":         rBool(computed),
			"disc_virtio_hot_plug":   rBool(computed),
			"disc_virtio_hot_unplug": rBool(computed),
			"backup_unit_id":         rStr(optionalComputed),
			"user_data":              rStr(optionalComputed),
			"device_number":          rNum(computed),
			"pci_slot":               rNum(computed),
			"boot_server":            rStr(computed),
			"server_id":              rStr(required, notBlank()),
			"datacenter_id":          rStr(required, notBlank()),
			"location":               rStr(optional),
			"expose_serial":          rBool(optionalComputed),
			"require_legacy_bios":    rBool(optionalComputed),
		}, nil).forceNew("datacenter_id", "location"),
	}
}

func dataSourceSchemas() []standInDataSource {
	window := obj(map[string]attr.Type{"time": str, "day_of_the_week": str})
	named := func(key string) types.ListType {
		return types.ListType{ElemType: obj(map[string]attr.Type{"name": str, key: strMap})}
	}
	sensitiveStr := dStr(computed)
	sensitiveStr.Sensitive = true
	config := dList(computed, obj(map[string]attr.Type{
		"api_version": str, "current_context": str, "kind": str,
		"users": named("user"), "clusters": named("cluster"), "contexts": named("context"),
	}))
	config.Sensitive = true
	userTokens := dMap(computed)
	userTokens.Sensitive = true

	return []standInDataSource{
		newDataSource("k8s_cluster", map[string]ds.Attribute{
			"id":                         dStr(optionalComputed),
			"name":                       dStr(optionalComputed),
			"state":                      dStr(computed),
			"k8s_version":                dStr(computed),
			"maintenance_window":         dList(computed, window),
			"config":                     config,
			"user_tokens":                userTokens,
			"ca_crt":                     sensitiveStr,
			"server":                     sensitiveStr,
			"available_upgrade_versions": dList(computed, str),
			"viable_node_pool_versions":  dList(computed, str),
			"public":                     dBool(computed),
			"nat_gateway_ip":             dStr(computed),
			"node_subnet":                dStr(computed),
			"location":                   dStr(optionalComputed),
			"node_pools":                 dList(computed, str),
			"kube_config":                dStr(computed),
			"api_subnet_allow_list":      dList(computed, str),
			"s3_buckets":                 dList(computed, obj(map[string]attr.Type{"name": str})),
		}),

		// Computed-only nested list: an attribute list(object) on the wire.
		newDataSource("k8s_node_pool_nodes", map[string]ds.Attribute{
			"id":             dStr(optionalComputed),
			"k8s_cluster_id": dStr(required, isUUID()),
			"node_pool_id":   dStr(required, isUUID()),
			"nodes": dList(computed, obj(map[string]attr.Type{
				"id": str, "name": str, "public_ip": str, "private_ip": str, "k8s_version": str,
			})),
		}),

		newDataSource("container_registry_locations", map[string]ds.Attribute{
			"id":        dStr(optionalComputed),
			"locations": dList(computed, str),
		}),

		newDataSource("k8s_node_pool", map[string]ds.Attribute{
			"k8s_cluster_id":     dStr(required, notBlank()),
			"id":                 dStr(optionalComputed),
			"name":               dStr(optionalComputed),
			"datacenter_id":      dStr(computed),
			"location":           dStr(optional),
			"state":              dStr(computed),
			"node_count":         dNum(computed),
			"cpu_family":         dStr(computed),
			"server_type":        dStr(computed),
			"cores_count":        dNum(computed),
			"ram_size":           dNum(computed),
			"availability_zone":  dStr(computed),
			"storage_type":       dStr(computed),
			"storage_size":       dNum(computed),
			"k8s_version":        dStr(computed),
			"maintenance_window": dList(computed, window),
			"auto_scaling":       dList(computed, obj(map[string]attr.Type{"min_node_count": num, "max_node_count": num})),
			"lans": dList(computed, obj(map[string]attr.Type{
				"id": num, "dhcp": boolean,
				"routes": types.ListType{ElemType: obj(map[string]attr.Type{"network": str, "gateway_ip": str})},
			})),
			"labels":                     dMap(computed),
			"annotations":                dMap(computed),
			"available_upgrade_versions": dList(computed, str),
			"public_ips":                 dList(computed, str),
		}),
	}
}
