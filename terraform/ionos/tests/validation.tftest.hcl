# Root-module rules, one run per rule. Every other variable is a valid
# dev-like setting, so the one wrong value is what fails the plan.
mock_provider "ionoscloud" {
  source = "./tests/mocks"
}

variables {
  environment           = "dev"
  location              = "de/fra"
  node_count            = 2
  ram_size              = 8192
  storage_type          = "HDD"
  api_subnet_allow_list = []
}

run "valid_baseline_plans" {
  command = plan

  assert {
    condition     = output.deployment_summary.environment == "dev" && output.deployment_summary.datacenter_name == "vigil-dev"
    error_message = "baseline should plan"
  }
}

run "valid_production_plans" {
  command = plan

  variables {
    environment           = "production"
    node_count            = 3
    storage_type          = "SSD"
    api_subnet_allow_list = ["198.51.100.0/24"]
  }

  assert {
    condition     = output.deployment_summary.environment == "production"
    error_message = "a production setting that follows the rules should plan"
  }
}

run "rejects_an_unknown_location" {
  command = plan
  variables {
    location = "eu/central"
  }
  expect_failures = [var.location]
}

run "rejects_a_gc_time_without_timezone_offset" {
  command = plan
  variables {
    registry_garbage_collection_schedule = { days = ["Saturday"], time = "02:00:00" }
  }
  expect_failures = [var.registry_garbage_collection_schedule]
}

run "rejects_ram_not_a_multiple_of_1024" {
  command = plan
  variables {
    ram_size = 8000
  }
  expect_failures = [var.ram_size]
}

run "rejects_ram_given_in_gb" {
  command = plan
  variables {
    ram_size = 16
  }
  expect_failures = [var.ram_size]
}

run "rejects_autoscaling_min_above_max" {
  command = plan
  variables {
    autoscaling = { min_node_count = 5, max_node_count = 3 }
  }
  expect_failures = [var.autoscaling]
}

run "rejects_production_with_fewer_than_3_nodes" {
  command = plan
  variables {
    environment           = "production"
    node_count            = 2
    storage_type          = "SSD"
    api_subnet_allow_list = ["198.51.100.0/24"]
  }
  expect_failures = [output.deployment_summary]
}

run "rejects_production_autoscaling_below_3_nodes" {
  command = plan
  variables {
    environment           = "production"
    node_count            = 3
    autoscaling           = { min_node_count = 2, max_node_count = 5 }
    storage_type          = "SSD"
    api_subnet_allow_list = ["198.51.100.0/24"]
  }
  expect_failures = [output.deployment_summary]
}

run "rejects_production_on_hdd" {
  command = plan
  variables {
    environment           = "production"
    node_count            = 3
    storage_type          = "HDD"
    api_subnet_allow_list = ["198.51.100.0/24"]
  }
  expect_failures = [output.deployment_summary]
}

run "rejects_production_with_an_empty_api_allow_list" {
  command = plan
  variables {
    environment           = "production"
    node_count            = 3
    storage_type          = "SSD"
    api_subnet_allow_list = []
  }
  expect_failures = [output.deployment_summary]
}

run "rejects_an_unknown_environment" {
  command = plan
  variables {
    environment = "prod"
  }
  expect_failures = [var.environment]
}

run "rejects_autoscaling_min_equal_to_max" {
  command = plan
  variables {
    autoscaling = { min_node_count = 3, max_node_count = 3 }
  }
  expect_failures = [var.autoscaling]
}

run "rejects_a_volume_disk_type_for_nodes" {
  command = plan
  variables {
    storage_type = "SSD Premium"
  }
  expect_failures = [var.storage_type]
}

run "rejects_a_k8s_version_without_patch" {
  command = plan
  variables {
    k8s_version = "1.31"
  }
  expect_failures = [var.k8s_version]
}

run "accepts_a_k8s_version_with_patch" {
  command = plan
  variables {
    k8s_version = "1.31.2"
  }
  assert {
    condition     = output.deployment_summary.k8s_version == "1.31.2"
    error_message = "an x.y.z version should plan"
  }
}

run "rejects_a_gc_time_in_z_form" {
  command = plan
  variables {
    registry_garbage_collection_schedule = { days = ["Saturday"], time = "02:00:00Z" }
  }
  expect_failures = [var.registry_garbage_collection_schedule]
}

run "rejects_an_ip_block_smaller_than_the_largest_node_count_plus_one" {
  command = plan
  variables {
    node_count           = 2
    autoscaling          = { min_node_count = 2, max_node_count = 4 }
    public_ip_block_size = 4
  }
  expect_failures = [output.deployment_summary]
}

# The registry name gets a random suffix at creation (IONOS registry names
# are unique across all customers) and keeps it on later plans.
run "registry_name_is_unique" {
  command = apply

  assert {
    condition     = can(regex("^vigil-dev-[0-9a-f]{6}$", output.deployment_summary.registry_name))
    error_message = "registry name should be vigil-dev plus a random suffix, got ${output.deployment_summary.registry_name}"
  }
}

run "registry_name_is_stable" {
  command = plan

  variables {
    node_count = 3
  }

  assert {
    condition     = output.deployment_summary.registry_name == run.registry_name_is_unique.deployment_summary.registry_name
    error_message = "the registry name changed on a later plan: its name is ForceNew, so that would replace the registry"
  }
}

run "registry_name_can_be_given" {
  command = plan
  variables {
    registry_name = "acme-vigil-dev"
  }
  assert {
    condition     = output.deployment_summary.registry_name == "acme-vigil-dev"
    error_message = "an explicit registry_name should be used as is"
  }
}

# With no reserved block the nodes still have public IPs, chosen by IONOS:
# k8s_public_ips must list them, or `provision check` has nothing to probe.
run "node_ips_without_a_reserved_block" {
  command = apply
  variables {
    reserve_public_ips = false
  }
  assert {
    condition     = output.k8s_public_ips == ["198.51.100.21", "198.51.100.22"] && output.external_access_info.k8s_public_ips == output.k8s_public_ips
    error_message = "k8s_public_ips should be the nodes' own public IPs, got ${jsonencode(output.k8s_public_ips)}"
  }
  assert {
    condition     = length(output.reserved_public_ips) == 0
    error_message = "no block reserved, no reserved IPs"
  }
}
