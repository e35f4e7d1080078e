# Integration test of the staging environment. Run with its tfvars:
#   terraform test -test-directory=tests/environments/staging -var-file=environments/staging.tfvars
mock_provider "ionoscloud" {
  source = "./tests/mocks"
}

override_resource {
  target = module.registry.ionoscloud_container_registry.this
  values = {
    id       = "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
    hostname = "vigil-staging.cr.de-fra.ionos.com"
  }
}

run "plan" {
  command = plan

  assert {
    condition     = output.deployment_summary.environment == "staging"
    error_message = "not the staging environment"
  }
  assert {
    condition     = output.deployment_summary.node_count == 2 && output.deployment_summary.autoscaling == null
    error_message = "staging runs 2 nodes without autoscaling"
  }
  assert {
    condition     = output.deployment_summary.ram_mb_per_node == 16384 && output.deployment_summary.storage_type == "SSD"
    error_message = "staging runs 16 GB nodes on SSD"
  }
  assert {
    condition     = output.datacenter_name == "vigil-staging" && output.k8s_cluster_name == "vigil-staging-k8s"
    error_message = "resource names should follow <prefix>-<environment>"
  }
}

run "apply" {
  command = apply

  assert {
    condition     = output.k8s_cluster_state == "ACTIVE" && output.k8s_node_pool_state == "ACTIVE"
    error_message = "states should come from the data sources"
  }
  assert {
    condition     = output.registry_hostname == "vigil-staging.cr.de-fra.ionos.com"
    error_message = "registry host wrong"
  }
  assert {
    condition     = output.app_config.image == "vigil-staging.cr.de-fra.ionos.com/vigil:latest"
    error_message = "image reference wrong"
  }
  assert {
    condition     = output.lan_id == "1" && output.lan_public == false
    error_message = "LAN outputs wrong"
  }
}
