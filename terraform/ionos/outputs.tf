# Outputs read by `provision` (terraform output -json) and by people. The
# names are a contract: do not rename them.

output "datacenter_id" {
  description = "UUID of the data center."
  value       = module.datacenter.id
}

output "datacenter_name" {
  description = "Name of the data center."
  value       = module.datacenter.name
}

output "k8s_cluster_id" {
  description = "UUID of the Kubernetes cluster."
  value       = module.kubernetes.cluster_id
}

output "k8s_cluster_name" {
  description = "Name of the Kubernetes cluster."
  value       = module.kubernetes.cluster_name
}

output "k8s_kubeconfig" {
  description = "Kubeconfig (YAML) of the cluster, with a cluster-admin token. Write it to a 0600 file: `provision kubeconfig ENV`."
  sensitive   = true
  value       = module.kubernetes.kubeconfig
}

output "k8s_node_pool_id" {
  description = "UUID of the node pool."
  value       = module.kubernetes.node_pool_id
}

output "k8s_cluster_state" {
  description = "Cluster state as IONOS reports it; ACTIVE when healthy."
  value       = module.kubernetes.cluster_state
}

output "k8s_node_pool_state" {
  description = "Node pool state as IONOS reports it; ACTIVE when healthy."
  value       = module.kubernetes.node_pool_state
}

output "k8s_public_ips" {
  description = "Public IPs the nodes have now, read from the nodes themselves: the reserved ones when reserve_public_ips is on, the ones IONOS chose otherwise."
  value       = module.kubernetes.node_public_ips
}

output "reserved_public_ips" {
  description = "The reserved IP block's addresses (empty when reserve_public_ips is off); the node pool takes its public IPs from them."
  value       = module.networking.public_ips
}

output "k8s_api_subnet_allow_list" {
  description = "CIDRs allowed to reach the Kubernetes API (empty: open)."
  value       = module.kubernetes.api_subnet_allow_list
}

output "registry_id" {
  description = "UUID of the container registry."
  value       = module.registry.id
}

output "registry_hostname" {
  description = "Host name of the container registry."
  value       = module.registry.hostname
}

output "registry_location" {
  description = "Location of the container registry."
  value       = module.registry.location
}

output "registry_token_name" {
  description = "Name of the registry pull token."
  value       = module.registry.token_name
}

output "registry_token_expiry_date" {
  description = "Expiry of the registry pull token as configured (null: never)."
  value       = module.registry.token_expiry_date
}

output "lan_id" {
  description = "ID of the LAN."
  value       = module.networking.lan_id
}

output "lan_name" {
  description = "Name of the LAN."
  value       = module.networking.lan_name
}

output "lan_public" {
  description = "Whether the LAN is public."
  value       = module.networking.lan_public
}

output "app_config" {
  description = "What the deploy step needs: namespace, registry host, image, pull policy, pull secret name."
  value       = module.app_config.config
}

output "image_pull_docker_config_json" {
  description = "Content of the image pull Secret (.dockerconfigjson) for the registry token."
  sensitive   = true
  value       = module.app_config.docker_config_json
}

output "deployment_summary" {
  description = "What this stack deploys, in one object."
  value = {
    environment                 = var.environment
    location                    = var.location
    datacenter_name             = module.datacenter.name
    k8s_cluster_name            = module.kubernetes.cluster_name
    k8s_version                 = module.kubernetes.k8s_version
    node_pool_name              = module.kubernetes.node_pool_name
    node_count                  = var.node_count
    autoscaling                 = var.autoscaling
    cores_per_node              = var.cores_count
    ram_mb_per_node             = var.ram_size
    storage_type                = var.storage_type
    storage_gb_per_node         = var.storage_size
    registry_name               = module.registry.name
    registry_hostname           = module.registry.hostname
    registry_garbage_collection = module.registry.garbage_collection_schedule
    lan_name                    = module.networking.lan_name
    lan_public                  = module.networking.lan_public
    reserved_public_ips         = var.reserve_public_ips ? var.public_ip_block_size : 0
    namespace                   = module.app_config.namespace
    image                       = module.app_config.image
  }

  # Production rules that span two variables (see variables.tf for why they
  # are not validation blocks). They fail the plan before anything changes.
  precondition {
    condition     = !local.production || (var.node_count >= 3 && (var.autoscaling == null || try(var.autoscaling.min_node_count >= 3, false)))
    error_message = "production needs at least 3 nodes (node_count and autoscaling.min_node_count), so that losing one node keeps the workloads running. Raise node_count in environments/production.tfvars."
  }
  precondition {
    condition     = !var.reserve_public_ips || var.public_ip_block_size >= local.max_nodes + 1
    error_message = "public_ip_block_size (${var.public_ip_block_size}) is too small: IONOS needs one public IP more than the largest node count (${local.max_nodes}), so at least ${local.max_nodes + 1}. Raise it in environments/${var.environment}.tfvars; note that changing it replaces the IP block and every node's public IP."
  }
  precondition {
    condition     = !local.production || var.storage_type != "HDD"
    error_message = "production must not use HDD storage: set storage_type = \"SSD\" in environments/production.tfvars."
  }
  precondition {
    condition     = !local.production || length(var.api_subnet_allow_list) > 0
    error_message = "production needs a non-empty api_subnet_allow_list, or the Kubernetes API is open to the whole internet. List your office/VPN/CI egress CIDRs in environments/production.tfvars."
  }
}

output "external_access_info" {
  description = "What `provision check` probes from outside: the registry's /v2/ endpoint, the API server's /readyz, the public IPs, and the expected LAN exposure."
  value = {
    registry_hostname         = module.registry.hostname
    registry_url              = "https://${module.registry.hostname}/v2/"
    k8s_api_server            = module.kubernetes.api_server
    k8s_api_readyz_url        = module.kubernetes.api_server == null ? null : "${module.kubernetes.api_server}/readyz"
    k8s_api_subnet_allow_list = module.kubernetes.api_subnet_allow_list
    k8s_api_restricted        = length(var.api_subnet_allow_list) > 0
    k8s_public_ips            = module.kubernetes.node_public_ips
    lan_public_expected       = var.lan_public
  }
}
