# Realistic values for what the ionoscloud provider computes, shared by the
# root module's tests (mock_provider "ionoscloud" { source = "./tests/mocks" }).

mock_resource "ionoscloud_datacenter" {
  defaults = {
    id      = "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90"
    version = 1
  }
}

mock_resource "ionoscloud_lan" {
  defaults = {
    id              = "1"
    ipv4_cidr_block = "10.7.222.0/24"
  }
}

mock_resource "ionoscloud_ipblock" {
  defaults = {
    id  = "0b3cbd3e-6a3c-4b8e-9a51-3d2f6f2c7a11"
    ips = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"]
  }
}

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

mock_resource "ionoscloud_container_registry" {
  defaults = {
    id       = "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
    hostname = "vigil.cr.de-fra.ionos.com"
  }
}

mock_resource "ionoscloud_container_registry_token" {
  defaults = {
    id          = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
    credentials = [{ username = "vigil-pull", password = "mock-password-not-a-secret" }]
  }
}

mock_data "ionoscloud_k8s_cluster" {
  defaults = {
    state       = "ACTIVE"
    k8s_version = "1.31.2"
    kube_config = "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"cluster-admin@vigil\",\"clusters\":[{\"name\":\"vigil\",\"cluster\":{\"server\":\"https://k8s-vigil.example.ionos.test:443\",\"certificate-authority-data\":\"LS0tLS1CRUdJTi0=\"}}],\"contexts\":[{\"name\":\"cluster-admin@vigil\",\"context\":{\"cluster\":\"vigil\",\"user\":\"cluster-admin\"}}],\"users\":[{\"name\":\"cluster-admin\",\"user\":{\"token\":\"mock-token-not-a-secret\"}}]}"
  }
}

mock_data "ionoscloud_k8s_node_pool" {
  defaults = {
    state      = "ACTIVE"
    public_ips = ["203.0.113.10", "203.0.113.11", "203.0.113.12"]
  }
}

mock_data "ionoscloud_k8s_node_pool_nodes" {
  defaults = {
    nodes = [
      { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c01", name = "vigil-pool-1", public_ip = "198.51.100.21", private_ip = "10.7.222.11", k8s_version = "1.31.2" },
      { id = "0a4e6c1b-2d3f-4a5b-8c7d-9e0f1a2b3c02", name = "vigil-pool-2", public_ip = "198.51.100.22", private_ip = "10.7.222.12", k8s_version = "1.31.2" },
    ]
  }
}

# Registry locations as the API might list them: not every data-center
# location (here de/fra/2 and gb/bhx) hosts a registry.
mock_data "ionoscloud_container_registry_locations" {
  defaults = {
    locations = ["de/fra", "de/txl", "es/vit", "fr/par", "gb/lhr", "us/ewr", "us/las", "us/mci"]
  }
}
