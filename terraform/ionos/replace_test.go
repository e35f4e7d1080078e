package ionos_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-monitoring/vigil/internal/testenv"
)

// TestReplacementsAgainstTheStandIn plans changes to an existing dev
// environment with the stand-in provider itself, not mock_provider: only a
// provider's PlanResourceChange decides a replacement, and mock_provider
// never plans one. The stand-in declares the real provider's ForceNew
// attributes as RequiresReplace (test/ionoscloud-provider, checked by its
// TestForceNewIsRequiresReplace). The state below is what an apply of
// environments/dev.tfvars leaves; plans run with -refresh=false (the stand-in
// cannot read) and -target (the node pool and cluster data sources would be
// read, which it refuses).
func TestReplacementsAgainstTheStandIn(t *testing.T) {
	tf := findTerraform(t)
	env := terraformEnv(t, standInMirror(t))
	work := copyStack(t, filepath.Join(testenv.RepoRoot(), "terraform", "ionos"))
	if out, err := terraform(t, tf, env, work, "init", "-input=false", "-no-color"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(work, "terraform.tfstate"), []byte(devState), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := func(t *testing.T, targets []string, vars ...string) map[string][]string {
		t.Helper()
		planFile := filepath.Join(t.TempDir(), "p.tfplan")
		args := []string{"plan", "-input=false", "-no-color", "-lock=false", "-refresh=false",
			"-var-file=" + filepath.Join("environments", "dev.tfvars"), "-out=" + planFile}
		for _, tg := range targets {
			args = append(args, "-target="+tg)
		}
		for _, v := range vars {
			args = append(args, "-var="+v)
		}
		if out, err := terraform(t, tf, env, work, args...); err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		show, err := terraformStdout(t, tf, env, work, "show", "-json", planFile)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			ResourceChanges []struct {
				Address string `json:"address"`
				Change  struct {
					Actions []string `json:"actions"`
				} `json:"change"`
			} `json:"resource_changes"`
		}
		if err := json.Unmarshal([]byte(show), &p); err != nil {
			t.Fatal(err)
		}
		actions := map[string][]string{}
		for _, rc := range p.ResourceChanges {
			actions[rc.Address] = rc.Change.Actions
		}
		return actions
	}
	const (
		ipblock  = "module.networking.ionoscloud_ipblock.nodes[0]"
		pool     = "module.kubernetes.ionoscloud_k8s_node_pool.fixed[0]"
		registry = "module.registry.ionoscloud_container_registry.this"
		token    = "module.registry.ionoscloud_container_registry_token.pull"
	)
	replaced := func(a []string) bool { return slices.Contains(a, "delete") && slices.Contains(a, "create") }
	scaling := []string{"module.networking", "module.kubernetes.ionoscloud_k8s_node_pool.fixed"}

	t.Run("unchanged_plans_nothing", func(t *testing.T) {
		// Proves the hand-written state matches what the stack plans, so
		// the actions below come from the one change each makes.
		for addr, a := range plan(t, append(scaling, "module.registry")) {
			if !slices.Equal(a, []string{"no-op"}) {
				t.Errorf("%s: %v with no change; the test state does not match the stack", addr, a)
			}
		}
	})
	t.Run("control_ip_block_size_replaces_the_block", func(t *testing.T) {
		// Must replace: if this stops planning a replacement, the stand-in
		// has lost its ForceNew and the tests below prove nothing.
		a := plan(t, scaling, "public_ip_block_size=5")
		if !replaced(a[ipblock]) {
			t.Fatalf("%s: %v after a size change, want a replacement (size is ForceNew)", ipblock, a[ipblock])
		}
	})
	for _, n := range []string{"1", "3"} {
		t.Run("node_count_change_keeps_the_ip_block/2_to_"+n, func(t *testing.T) {
			a := plan(t, scaling, "node_count="+n)
			if !slices.Equal(a[ipblock], []string{"no-op"}) {
				t.Errorf("%s: %v after node_count 2 -> %s, want no-op: scaling must not replace the reserved IPs", ipblock, a[ipblock], n)
			}
			if !slices.Equal(a[pool], []string{"update"}) {
				t.Errorf("%s: %v after node_count 2 -> %s, want an in-place update", pool, a[pool], n)
			}
		})
	}
	t.Run("control_registry_location_replaces_the_registry", func(t *testing.T) {
		a := plan(t, []string{"module.registry"}, "registry_location=de/txl")
		if !replaced(a[registry]) {
			t.Fatalf("%s: %v after a location change, want a replacement (location is ForceNew)", registry, a[registry])
		}
		if !replaced(a[token]) {
			t.Errorf("%s: %v when its registry is replaced, want a replacement (a new registry has no tokens)", token, a[token])
		}
	})
	t.Run("registry_update_in_place_keeps_the_token", func(t *testing.T) {
		a := plan(t, []string{"module.registry"}, `registry_api_subnet_allow_list=["203.0.113.0/24"]`)
		if !slices.Equal(a[registry], []string{"update"}) {
			t.Fatalf("%s: %v after an allow-list change, want an in-place update", registry, a[registry])
		}
		if !slices.Equal(a[token], []string{"no-op"}) {
			t.Errorf("%s: %v after an in-place registry update, want no-op (replacing it would change the pull password)", token, a[token])
		}
	})
}

// devState is the state an apply of environments/dev.tfvars leaves (ids,
// IPs and the registry suffix invented), for the resources the plans above
// target.
const devState = `{
  "version": 4, "terraform_version": "1.11.4", "serial": 1,
  "lineage": "7e1f0c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "terraform_data", "name": "registry_suffix",
     "provider": "provider[\"terraform.io/builtin/terraform\"]",
     "instances": [{"index_key": 0, "schema_version": 0, "attributes": {
       "id": "4b1e9a53-0c7d-4f2e-9b8a-6d5c4b3a2f10",
       "input": {"value": "a1b2c3", "type": "string"},
       "output": {"value": "a1b2c3", "type": "string"},
       "triggers_replace": null}, "sensitive_attributes": []}]},
    {"module": "module.datacenter", "mode": "managed", "type": "ionoscloud_datacenter", "name": "this",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "id": "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90", "name": "vigil-dev", "location": "de/fra",
       "description": "Vigil dev (managed by Terraform)", "sec_auth_protection": false, "version": 1,
       "features": [], "cpu_architecture": [], "ipv6_cidr_block": null, "timeouts": null}, "sensitive_attributes": []}]},
    {"module": "module.networking", "mode": "managed", "type": "ionoscloud_lan", "name": "this",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "id": "1", "datacenter_id": "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90", "name": "vigil-dev-lan", "public": false,
       "pcc": null, "location": null, "ipv4_cidr_block": "10.7.222.0/24", "ipv6_cidr_block": null,
       "ip_failover": [], "timeouts": null}, "sensitive_attributes": []}]},
    {"module": "module.networking", "mode": "managed", "type": "ionoscloud_ipblock", "name": "nodes",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"index_key": 0, "schema_version": 0, "attributes": {
       "id": "0b3cbd3e-6a3c-4b8e-9a51-3d2f6f2c7a11", "name": "vigil-dev-nodes", "location": "de/fra", "size": 4,
       "ips": ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"],
       "ip_consumers": [], "timeouts": null}, "sensitive_attributes": []}]},
    {"module": "module.kubernetes", "mode": "managed", "type": "ionoscloud_k8s_cluster", "name": "this",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "id": "5e0f8f0a-2b7c-4d3e-8f1a-6c9b2d4e7a01", "name": "vigil-dev-k8s", "k8s_version": "1.31.2",
       "viable_node_pool_versions": ["1.31.2"], "public": true, "nat_gateway_ip": null, "node_subnet": "10.208.0.0/16",
       "location": null, "allow_replace": null, "api_subnet_allow_list": [],
       "maintenance_window": [{"day_of_the_week": "Sunday", "time": "03:00:00Z"}],
       "s3_buckets": [], "timeouts": null}, "sensitive_attributes": []}]},
    {"module": "module.kubernetes", "mode": "managed", "type": "ionoscloud_k8s_node_pool", "name": "fixed",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"index_key": 0, "schema_version": 1, "attributes": {
       "id": "9d2b7c4e-1a3f-4e5d-8b6c-2f0a9e8d7c02", "name": "vigil-dev-pool", "k8s_version": "1.31.2",
       "datacenter_id": "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90", "k8s_cluster_id": "5e0f8f0a-2b7c-4d3e-8f1a-6c9b2d4e7a01",
       "location": null, "cpu_family": null, "server_type": "DedicatedCore", "availability_zone": "AUTO",
       "storage_type": "HDD", "node_count": 2, "cores_count": 2, "ram_size": 8192, "storage_size": 50,
       "public_ips": ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"],
       "labels": {"environment": "dev", "managed-by": "terraform"}, "annotations": {}, "allow_replace": null,
       "auto_scaling": [], "lans": [{"id": 1, "dhcp": true, "routes": []}],
       "maintenance_window": [{"day_of_the_week": "Sunday", "time": "03:00:00Z"}], "timeouts": null}, "sensitive_attributes": []}]},
    {"module": "module.registry", "mode": "managed", "type": "ionoscloud_container_registry", "name": "this",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "id": "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7", "name": "vigil-dev-a1b2c3", "location": "de/fra",
       "hostname": "vigil-dev-a1b2c3.cr.de-fra.ionos.com", "api_subnet_allow_list": [],
       "garbage_collection_schedule": [{"days": ["Saturday"], "time": "02:00:00+00:00"}],
       "features": [{"vulnerability_scanning": false}], "storage_usage": [], "timeouts": null}, "sensitive_attributes": []}]},
    {"module": "module.registry", "mode": "managed", "type": "ionoscloud_container_registry_token", "name": "pull",
     "provider": "provider[\"registry.terraform.io/ionos-cloud/ionoscloud\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", "registry_id": "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7",
       "name": "vigil-dev-pull", "expiry_date": "2027-06-30 00:00:00Z", "status": "enabled",
       "save_password_to_file": null, "location": null,
       "credentials": [{"username": "vigil-dev-pull", "password": "not-a-secret"}],
       "scopes": [{"name": "*", "type": "repository", "actions": ["pull"]}], "timeouts": null}, "sensitive_attributes": []}]}
  ]
}`
