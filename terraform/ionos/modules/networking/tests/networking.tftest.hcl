mock_provider "ionoscloud" {
  mock_resource "ionoscloud_lan" {
    defaults = {
      id              = "1"
      ipv4_cidr_block = "10.7.222.0/24"
    }
  }
  mock_resource "ionoscloud_ipblock" {
    defaults = {
      id  = "0b3cbd3e-6a3c-4b8e-9a51-3d2f6f2c7a11"
      ips = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
    }
  }
}

variables {
  datacenter_id   = "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90"
  location        = "de/fra"
  lan_name        = "vigil-test-lan"
  ip_block_name   = "vigil-test-nodes"
  public_ip_count = 3
}

run "private_lan_with_ip_block" {
  command = plan

  assert {
    condition     = ionoscloud_lan.this.public == false
    error_message = "LAN should be private by default"
  }
  assert {
    condition     = ionoscloud_lan.this.name == "vigil-test-lan" && ionoscloud_lan.this.datacenter_id == var.datacenter_id
    error_message = "LAN name or data center wrong"
  }
  assert {
    condition     = length(ionoscloud_ipblock.nodes) == 1
    error_message = "one IP block expected"
  }
  assert {
    condition     = ionoscloud_ipblock.nodes[0].size == 3 && ionoscloud_ipblock.nodes[0].location == "de/fra"
    error_message = "IP block size or location wrong"
  }
}

run "outputs_after_apply" {
  command = apply

  assert {
    condition     = output.lan_id == "1" && output.lan_public == false
    error_message = "LAN outputs wrong"
  }
  assert {
    condition     = output.node_pool_lan_ids == tolist([1])
    error_message = "a private LAN must be attached to the node pool by its numeric id"
  }
  assert {
    condition     = output.public_ips == tolist(["203.0.113.10", "203.0.113.11", "203.0.113.12"])
    error_message = "public IPs should come from the IP block"
  }
  assert {
    condition     = output.ip_block_id == "0b3cbd3e-6a3c-4b8e-9a51-3d2f6f2c7a11"
    error_message = "ip_block_id wrong"
  }
}

run "public_lan_without_ip_block" {
  command = apply

  variables {
    lan_public      = true
    public_ip_count = 0
  }

  assert {
    condition     = ionoscloud_lan.this.public == true && output.lan_public == true
    error_message = "LAN should be public"
  }
  assert {
    condition     = length(ionoscloud_ipblock.nodes) == 0 && length(output.public_ips) == 0 && output.ip_block_id == null
    error_message = "no IP block expected"
  }
  assert {
    condition     = length(output.node_pool_lan_ids) == 0
    error_message = "a public LAN must not be attached to the node pool"
  }
}

run "rejects_a_negative_ip_count" {
  command = plan

  variables {
    public_ip_count = -1
  }

  expect_failures = [var.public_ip_count]
}
