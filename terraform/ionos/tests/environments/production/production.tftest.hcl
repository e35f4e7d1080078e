# Integration test of the production environment. Run with its tfvars:
#   terraform test -test-directory=tests/environments/production -var-file=environments/production.tfvars
mock_provider "ionoscloud" {
  source = "./tests/mocks"
}

override_resource {
  target = module.registry.ionoscloud_container_registry.this
  values = {
    id       = "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
    hostname = "vigil-production.cr.de-fra.ionos.com"
  }
}

# Production reserves a fixed block of 8 public IPs (autoscaling up to 5
# needs 6, with room to grow); the pool gets them all.
override_resource {
  target = module.networking.ionoscloud_ipblock.nodes[0]
  values = {
    id  = "0b3cbd3e-6a3c-4b8e-9a51-3d2f6f2c7a11"
    ips = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13", "203.0.113.14", "203.0.113.15", "203.0.113.16", "203.0.113.17"]
  }
}

override_data {
  target = module.kubernetes.data.ionoscloud_k8s_node_pool.this
  values = {
    state      = "ACTIVE"
    public_ips = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13", "203.0.113.14", "203.0.113.15", "203.0.113.16", "203.0.113.17"]
  }
}

# Three nodes running, on three of the reserved IPs.
override_data {
  target = module.kubernetes.data.ionoscloud_k8s_node_pool_nodes.this
  values = {
    nodes = [
      { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c01", name = "vigil-production-pool-1", public_ip = "203.0.113.10", private_ip = "10.7.222.11", k8s_version = "1.31.2" },
      { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c02", name = "vigil-production-pool-2", public_ip = "203.0.113.11", private_ip = "10.7.222.12", k8s_version = "1.31.2" },
      { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c03", name = "vigil-production-pool-3", public_ip = "203.0.113.12", private_ip = "10.7.222.13", k8s_version = "1.31.2" },
    ]
  }
}

run "plan" {
  command = plan

  assert {
    condition     = output.deployment_summary.environment == "production"
    error_message = "not the production environment"
  }
  assert {
    condition     = output.deployment_summary.node_count == 3
    error_message = "production starts with 3 nodes"
  }
  assert {
    condition     = output.deployment_summary.autoscaling.min_node_count == 3 && output.deployment_summary.autoscaling.max_node_count == 5
    error_message = "production autoscales from 3 to 5 nodes"
  }
  assert {
    condition     = output.deployment_summary.ram_mb_per_node == 16384 && output.deployment_summary.storage_type == "SSD"
    error_message = "production runs 16 GB nodes on SSD"
  }
  assert {
    condition     = output.k8s_api_subnet_allow_list == tolist(["198.51.100.0/24", "203.0.113.0/24"]) && output.external_access_info.k8s_api_restricted
    error_message = "production restricts the API"
  }
  assert {
    condition     = output.deployment_summary.registry_garbage_collection.time == "04:00:00+00:00"
    error_message = "production garbage collection wrong"
  }
}

run "apply" {
  command = apply

  assert {
    condition     = output.k8s_cluster_state == "ACTIVE" && output.k8s_node_pool_state == "ACTIVE"
    error_message = "states should come from the data sources"
  }
  assert {
    condition     = length(output.reserved_public_ips) == 8 && output.deployment_summary.reserved_public_ips == 8
    error_message = "production reserves a block of 8 public IPs"
  }
  assert {
    condition     = output.k8s_public_ips == ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
    error_message = "k8s_public_ips should be the three nodes' IPs"
  }
  assert {
    condition     = output.app_config.image == "vigil-production.cr.de-fra.ionos.com/vigil:v0.1.0" && output.app_config.image_pull_policy == "IfNotPresent"
    error_message = "production deploys a pinned tag"
  }
  assert {
    condition     = output.registry_location == "de/fra" && output.registry_id == "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
    error_message = "registry outputs wrong"
  }
}
