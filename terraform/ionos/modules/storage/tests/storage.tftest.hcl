mock_provider "ionoscloud" {
  mock_resource "ionoscloud_volume" {
    defaults = {
      id          = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918"
      boot_server = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
    }
  }
}

variables {
  datacenter_id     = "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90"
  node_storage_type = "HDD"
  node_storage_size = 50
}

run "node_storage_only" {
  command = apply

  assert {
    condition     = output.node_storage_type == "HDD" && output.node_storage_size == 50
    error_message = "node storage settings not passed through"
  }
  assert {
    condition     = length(ionoscloud_volume.this) == 0 && length(output.volume_ids) == 0
    error_message = "no extra volumes by default"
  }
}

run "extra_volumes_on_a_server" {
  command = apply

  variables {
    server_id = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
    volumes = {
      backups = { size = 200, disk_type = "HDD" }
      data    = { size = 50, name = "vigil-data" }
    }
  }

  assert {
    condition     = ionoscloud_volume.this["backups"].disk_type == "HDD" && ionoscloud_volume.this["backups"].size == 200 && ionoscloud_volume.this["backups"].name == "backups"
    error_message = "backups volume wrong"
  }
  assert {
    condition     = ionoscloud_volume.this["data"].disk_type == "SSD" && ionoscloud_volume.this["data"].name == "vigil-data" && ionoscloud_volume.this["data"].licence_type == "OTHER"
    error_message = "data volume should default to SSD and licence OTHER"
  }
  assert {
    condition     = ionoscloud_volume.this["data"].server_id == var.server_id && ionoscloud_volume.this["data"].datacenter_id == var.datacenter_id
    error_message = "volumes must attach to the server in the data center"
  }
  assert {
    condition     = keys(output.volume_ids) == ["backups", "data"]
    error_message = "volume_ids should be keyed like the input"
  }
}

run "rejects_an_unknown_node_storage_type" {
  command = plan
  variables {
    node_storage_type = "TAPE"
  }
  expect_failures = [var.node_storage_type]
}

run "rejects_a_tiny_node_disk" {
  command = plan
  variables {
    node_storage_size = 5
  }
  expect_failures = [var.node_storage_size]
}

run "rejects_a_volume_with_an_unknown_disk_type" {
  command = plan
  variables {
    server_id = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
    volumes   = { data = { size = 50, disk_type = "NVME" } }
  }
  expect_failures = [var.volumes]
}

run "rejects_volumes_without_a_server" {
  command = plan
  variables {
    volumes = { data = { size = 50 } }
  }
  expect_failures = [ionoscloud_volume.this]
}

run "rejects_a_volume_disk_type_for_nodes" {
  command = plan
  variables {
    node_storage_type = "SSD Standard"
  }
  expect_failures = [var.node_storage_type]
}

run "accepts_ssd_premium_for_volumes" {
  command = plan
  variables {
    server_id = "2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"
    volumes   = { data = { size = 50, disk_type = "SSD Premium" } }
  }
  assert {
    condition     = ionoscloud_volume.this["data"].disk_type == "SSD Premium"
    error_message = "volumes keep the SSD Premium class"
  }
}
