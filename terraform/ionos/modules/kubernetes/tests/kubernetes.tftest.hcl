mock_provider "ionoscloud" {
  mock_resource "ionoscloud_k8s_cluster" {
    defaults = {
      id                        = "5e0f8f0a-2b7c-4d3e-8f1a-6c9b2d4e7a01"
      k8s_version               = "1.31.2"
      viable_node_pool_versions = ["1.31.2", "1.30.6"]
    }
  }
  mock_resource "ionoscloud_k8s_node_pool" {
    defaults = {
      id = "9d2b7c4e-1a3f-4e5d-8b6c-2f0a9e8d7c02"
    }
  }
  mock_data "ionoscloud_k8s_cluster" {
    defaults = {
      state       = "ACTIVE"
      k8s_version = "1.31.2"
      kube_config = "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"cluster-admin@vigil-test\",\"clusters\":[{\"name\":\"vigil-test\",\"cluster\":{\"server\":\"https://k8s-vigil-test.example.ionos.test:443\",\"certificate-authority-data\":\"LS0tLS1CRUdJTi0=\"}}],\"contexts\":[{\"name\":\"cluster-admin@vigil-test\",\"context\":{\"cluster\":\"vigil-test\",\"user\":\"cluster-admin\"}}],\"users\":[{\"name\":\"cluster-admin\",\"user\":{\"token\":\"mock-token-not-a-secret\"}}]}"
    }
  }
  mock_data "ionoscloud_k8s_node_pool" {
    defaults = {
      state      = "ACTIVE"
      public_ips = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
    }
  }
  # Two nodes with the IPs IONOS gave them (the third node's IP is not yet
  # assigned: the output must leave it out, not list an empty string).
  mock_data "ionoscloud_k8s_node_pool_nodes" {
    defaults = {
      nodes = [
        { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c01", name = "vigil-test-pool-1", public_ip = "198.51.100.21", private_ip = "10.7.222.11", k8s_version = "1.31.2" },
        { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c02", name = "vigil-test-pool-2", public_ip = "198.51.100.22", private_ip = "10.7.222.12", k8s_version = "1.31.2" },
        { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c03", name = "vigil-test-pool-3", public_ip = "", private_ip = "10.7.222.13", k8s_version = "1.31.2" },
      ]
    }
  }
}

variables {
  cluster_name          = "vigil-test"
  k8s_version           = "1.31.2"
  datacenter_id         = "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90"
  node_pool_name        = "vigil-test-pool"
  node_count            = 2
  ram_size              = 8192
  storage_type          = "HDD"
  storage_size          = 50
  api_subnet_allow_list = ["198.51.100.0/24"]
  public_ips            = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
  lan_ids               = [1]
}

run "fixed_size_pool" {
  command = plan

  assert {
    condition     = length(ionoscloud_k8s_node_pool.fixed) == 1 && length(ionoscloud_k8s_node_pool.autoscaled) == 0
    error_message = "without autoscaling only the fixed pool is planned"
  }
  assert {
    condition     = ionoscloud_k8s_node_pool.fixed[0].node_count == 2 && ionoscloud_k8s_node_pool.fixed[0].ram_size == 8192
    error_message = "node count or RAM wrong"
  }
  assert {
    condition     = ionoscloud_k8s_node_pool.fixed[0].storage_type == "HDD" && ionoscloud_k8s_node_pool.fixed[0].storage_size == 50
    error_message = "storage wrong"
  }
  assert {
    condition     = ionoscloud_k8s_node_pool.fixed[0].k8s_version == "1.31.2" && ionoscloud_k8s_cluster.this.k8s_version == "1.31.2"
    error_message = "k8s_version not passed to cluster and pool"
  }
  assert {
    condition     = ionoscloud_k8s_node_pool.fixed[0].server_type == "DedicatedCore" && ionoscloud_k8s_node_pool.fixed[0].availability_zone == "AUTO"
    error_message = "server type or zone wrong"
  }
  assert {
    condition     = [for l in ionoscloud_k8s_node_pool.fixed[0].lans : l.id] == [1]
    error_message = "private LAN 1 should be attached"
  }
  assert {
    condition     = ionoscloud_k8s_cluster.this.maintenance_window[0].day_of_the_week == "Sunday" && ionoscloud_k8s_cluster.this.maintenance_window[0].time == "03:00:00Z"
    error_message = "cluster maintenance window should default to Sunday 03:00:00Z"
  }
  assert {
    condition     = ionoscloud_k8s_node_pool.fixed[0].maintenance_window[0].time == "03:00:00Z"
    error_message = "node pool maintenance window should follow the cluster's"
  }
  assert {
    condition     = ionoscloud_k8s_cluster.this.api_subnet_allow_list == tolist(["198.51.100.0/24"])
    error_message = "API allow list not passed through"
  }
  assert {
    condition     = ionoscloud_k8s_cluster.this.public == true
    error_message = "the cluster is public"
  }
}

run "outputs_from_the_data_sources" {
  command = apply

  assert {
    condition     = output.cluster_state == "ACTIVE" && output.node_pool_state == "ACTIVE"
    error_message = "state outputs should come from the data sources"
  }
  assert {
    condition     = output.cluster_id == "5e0f8f0a-2b7c-4d3e-8f1a-6c9b2d4e7a01" && output.node_pool_id == "9d2b7c4e-1a3f-4e5d-8b6c-2f0a9e8d7c02"
    error_message = "id outputs wrong"
  }
  assert {
    condition     = output.api_server == "https://k8s-vigil-test.example.ionos.test:443"
    error_message = "API server should be read from the kubeconfig"
  }
  assert {
    condition     = yamldecode(output.kubeconfig).kind == "Config" && startswith(output.kubeconfig, "\"apiVersion\": \"v1\"")
    error_message = "kubeconfig should be converted from JSON to YAML"
  }
  assert {
    condition     = length(output.public_ips) == 3
    error_message = "public IPs should come from the node pool data source"
  }
  assert {
    condition     = output.node_public_ips == ["198.51.100.21", "198.51.100.22"]
    error_message = "node_public_ips should list the nodes' own public IPs (from the nodes data source), without empty ones"
  }
}

run "node_ips_without_reserved_ips" {
  command = apply

  variables {
    public_ips = []
  }

  assert {
    condition     = output.node_public_ips == ["198.51.100.21", "198.51.100.22"]
    error_message = "without reserved IPs the nodes still have public IPs, and node_public_ips must list them"
  }
}

run "autoscaled_pool" {
  command = plan

  variables {
    node_count  = 3
    autoscaling = { min_node_count = 3, max_node_count = 5 }
    public_ips  = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13", "203.0.113.14", "203.0.113.15"]
  }

  assert {
    condition     = length(ionoscloud_k8s_node_pool.fixed) == 0 && length(ionoscloud_k8s_node_pool.autoscaled) == 1
    error_message = "with autoscaling only the autoscaled pool is planned"
  }
  assert {
    condition     = ionoscloud_k8s_node_pool.autoscaled[0].auto_scaling[0].min_node_count == 3 && ionoscloud_k8s_node_pool.autoscaled[0].auto_scaling[0].max_node_count == 5
    error_message = "autoscaling bounds wrong"
  }
}

run "rejects_ram_not_a_multiple_of_1024" {
  command = plan
  variables {
    ram_size = 8000
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

run "rejects_node_count_outside_autoscaling_bounds" {
  command = plan
  variables {
    node_count  = 2
    autoscaling = { min_node_count = 3, max_node_count = 5 }
    public_ips  = []
  }
  expect_failures = [ionoscloud_k8s_node_pool.autoscaled]
}

run "rejects_too_few_public_ips" {
  command = plan
  variables {
    public_ips = ["203.0.113.10", "203.0.113.11"]
  }
  expect_failures = [ionoscloud_k8s_node_pool.fixed]
}

run "rejects_an_unknown_storage_type" {
  command = plan
  variables {
    storage_type = "NVME"
  }
  expect_failures = [var.storage_type]
}

run "rejects_a_maintenance_time_without_z" {
  command = plan
  variables {
    maintenance_window = { day_of_the_week = "Sunday", time = "03:00:00" }
  }
  expect_failures = [var.maintenance_window]
}

run "rejects_an_allow_list_entry_that_is_no_cidr" {
  command = plan
  variables {
    api_subnet_allow_list = ["office"]
  }
  expect_failures = [var.api_subnet_allow_list]
}

run "rejects_autoscaling_min_equal_to_max" {
  command = plan
  variables {
    node_count  = 3
    autoscaling = { min_node_count = 3, max_node_count = 3 }
    public_ips  = []
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
