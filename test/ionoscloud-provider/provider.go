package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// notice is the error every operation answers: this binary only serves a
// schema to Terraform's mock_provider.
const notice = "stand-in provider for tests only: this is not the real ionos-cloud/ionoscloud provider and cannot manage infrastructure (see test/ionoscloud-provider/main.go)"

type standInProvider struct{}

func newProvider() provider.Provider { return standInProvider{} }

func (standInProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "ionoscloud"
	resp.Version = "6.7.99-standin"
}

// Schema copies the real provider block: every argument optional, none
// sensitive (the real provider does not mark token or password sensitive).
func (standInProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	s := func() pschema.StringAttribute { return pschema.StringAttribute{Optional: true} }
	resp.Schema = pschema.Schema{
		Description: "STAND-IN FOR TESTS ONLY of ionos-cloud/ionoscloud.",
		Attributes: map[string]pschema.Attribute{
			"username":        s(),
			"password":        s(),
			"token":           s(),
			"endpoint":        s(),
			"contract_number": s(),
			"s3_access_key":   s(),
			"s3_secret_key":   s(),
			"s3_region":       s(),
			"retries":         pschema.Int64Attribute{Optional: true, DeprecationMessage: "Timeout is used instead of this functionality"},
			"insecure":        pschema.BoolAttribute{Optional: true},
		},
	}
}

// Configure succeeds so that `terraform validate` and mocked runs work; the
// resources fail on use instead.
func (standInProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (standInProvider) Resources(context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, r := range resourceSchemas() {
		out = append(out, func() resource.Resource { return r })
	}
	return out
}

func (standInProvider) DataSources(context.Context) []func() datasource.DataSource {
	var out []func() datasource.DataSource
	for _, d := range dataSourceSchemas() {
		out = append(out, func() datasource.DataSource { return d })
	}
	return out
}

// standInResource serves one resource schema and refuses every operation.
type standInResource struct {
	name   string // without the "ionoscloud_" prefix
	schema rschema
}

func (r standInResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.name
}

func (r standInResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = r.schema
}

func (r standInResource) Create(_ context.Context, _ resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.AddError("ionoscloud_"+r.name+": create refused", notice)
}

func (r standInResource) Read(_ context.Context, _ resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.AddError("ionoscloud_"+r.name+": read refused", notice)
}

func (r standInResource) Update(_ context.Context, _ resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.AddError("ionoscloud_"+r.name+": update refused", notice)
}

func (r standInResource) Delete(_ context.Context, _ resource.DeleteRequest, resp *resource.DeleteResponse) {
	resp.Diagnostics.AddError("ionoscloud_"+r.name+": delete refused", notice)
}

// standInDataSource serves one data source schema and refuses to read.
type standInDataSource struct {
	name   string
	schema dschema
}

func (d standInDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + d.name
}

func (d standInDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = d.schema
}

// RegistryLocations is what the stand-in answers for
// data.ionoscloud_container_registry_locations: a FIXTURE, not the API's
// list. It leaves out de/fra/2 and gb/bhx, data-center locations the stack
// accepts, so that tests see the registry-location precondition refuse a
// location that has a data center but no registry. The real list comes from
// the Container Registry API (GET /locations) at plan time.
var RegistryLocations = []string{"de/fra", "de/txl", "es/vit", "fr/par", "gb/lhr", "us/ewr", "us/las", "us/mci"}

// Read refuses, except for the registry locations: that data source takes
// no arguments, so Terraform reads it during every plan, and a plan of the
// stack against this binary needs an answer (the real one is static too).
func (d standInDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if d.name == "container_registry_locations" {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), "container-registry-locations")...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("locations"), RegistryLocations)...)
		return
	}
	resp.Diagnostics.AddError("data.ionoscloud_"+d.name+": read refused", notice)
}
