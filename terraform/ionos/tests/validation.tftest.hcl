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
