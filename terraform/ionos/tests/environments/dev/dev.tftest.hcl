# Integration test of the dev environment. Run with its tfvars:
#   terraform test -test-directory=tests/environments/dev -var-file=environments/dev.tfvars
mock_provider "ionoscloud" {
  source = "./tests/mocks"
}

override_resource {
  target = module.registry.ionoscloud_container_registry.this
  values = {
    id       = "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
    hostname = "vigil-dev.cr.de-fra.ionos.com"
  }
}

run "plan" {
  command = plan

  assert {
    condition     = output.deployment_summary.environment == "dev" && output.deployment_summary.location == "de/fra"
    error_message = "not the dev environment"
  }
  assert {
    condition     = output.deployment_summary.node_count == 2 && output.deployment_summary.autoscaling == null
    error_message = "dev runs 2 nodes without autoscaling"
  }
  assert {
    condition     = output.deployment_summary.ram_mb_per_node == 8192 && output.deployment_summary.storage_type == "HDD"
    error_message = "dev runs 8 GB nodes on HDD"
  }
  assert {
    condition     = output.datacenter_name == "vigil-dev" && output.k8s_cluster_name == "vigil-dev-k8s" && output.lan_name == "vigil-dev-lan"
    error_message = "resource names should follow <prefix>-<environment>"
  }
  assert {
    condition     = output.lan_public == false && output.external_access_info.lan_public_expected == false
    error_message = "dev LAN is private"
  }
  assert {
    condition     = length(output.k8s_api_subnet_allow_list) == 0 && output.external_access_info.k8s_api_restricted == false
    error_message = "dev API is unrestricted"
  }
  assert {
    condition     = output.registry_location == "de/fra" && output.registry_token_expiry_date == "2027-06-30 00:00:00Z"
    error_message = "registry location or token expiry wrong"
  }
}

run "apply" {
  command = apply

  assert {
    condition     = output.datacenter_id == "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90" && output.k8s_cluster_id == "5e0f8f0a-2b7c-4d3e-8f1a-6c9b2d4e7a01"
    error_message = "ids should come from the provider"
  }
  assert {
    condition     = output.k8s_cluster_state == "ACTIVE" && output.k8s_node_pool_state == "ACTIVE"
    error_message = "states should come from the data sources"
  }
  assert {
    condition     = output.k8s_node_pool_id == "9d2b7c4e-1a3f-4e5d-8b6c-2f0a9e8d7c02"
    error_message = "node pool id wrong"
  }
  assert {
    condition     = length(output.reserved_public_ips) == 4 && output.deployment_summary.reserved_public_ips == 4
    error_message = "dev reserves a block of 4 public IPs"
  }
  assert {
    condition     = output.k8s_public_ips == ["198.51.100.21", "198.51.100.22"] && output.external_access_info.k8s_public_ips == output.k8s_public_ips
    error_message = "k8s_public_ips should be the nodes' own public IPs"
  }
  assert {
    condition     = output.registry_hostname == "vigil-dev.cr.de-fra.ionos.com" && output.external_access_info.registry_url == "https://vigil-dev.cr.de-fra.ionos.com/v2/"
    error_message = "registry host or probe URL wrong"
  }
  assert {
    condition     = output.external_access_info.k8s_api_readyz_url == "https://k8s-vigil.example.ionos.test:443/readyz"
    error_message = "API readyz URL should come from the kubeconfig"
  }
  assert {
    condition     = yamldecode(output.k8s_kubeconfig).users[0].name == "cluster-admin"
    error_message = "kubeconfig should be YAML with the cluster-admin user"
  }
  assert {
    condition     = output.app_config.image == "vigil-dev.cr.de-fra.ionos.com/vigil:latest" && output.app_config.image_pull_policy == "Always"
    error_message = "dev deploys the latest image, pulled always"
  }
  assert {
    condition     = output.app_config.namespace == "vigil" && output.app_config.image_pull_secret_name == "vigil-registry"
    error_message = "app config defaults wrong"
  }
  assert {
    condition     = jsondecode(output.image_pull_docker_config_json).auths["vigil-dev.cr.de-fra.ionos.com"].username == "vigil-pull"
    error_message = "pull secret should carry the token credentials"
  }
}
