// Command ionoscloud-provider is a STAND-IN FOR TESTS ONLY of the
// ionos-cloud/ionoscloud Terraform provider. It is not the real provider and
// cannot create anything: every create, read, update and delete answers an
// error, except the read of the argument-less registry locations data
// source, which answers a fixed fixture list (see RegistryLocations).
//
// Why it exists: the real provider cannot be downloaded on the build
// machines, and Terraform's `mock_provider` (used by the native tests in
// terraform/ionos) still asks the provider binary for its schema. This binary
// serves a schema that copies the real provider's (v6.7.34, read from
// github.com/ionos-cloud/terraform-provider-ionoscloud at commit 62ea59ad) for
// every resource, data source, attribute and nested block the stack uses:
// names, types, required/optional/computed and sensitive flags, plus the
// plan-time validations that matter, and the ForceNew attributes as
// RequiresReplace, so that a plan against an existing state shows the
// replacements the real provider would plan. Anything the stack does not use
// is left out on purpose.
//
// The terraform/ionos tests build it and install it through a
// filesystem_mirror as registry.terraform.io/ionos-cloud/ionoscloud 6.7.34,
// the exact version the stack pins and the schema was copied from.
// Never put it where a real `terraform apply` could pick it up.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// address is the registry address Terraform knows the provider by.
const address = "registry.terraform.io/ionos-cloud/ionoscloud"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers such as delve")
	flag.Parse()
	err := providerserver.Serve(context.Background(), newProvider, providerserver.ServeOpts{
		Address: address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
