output "cluster_id" {
  description = "UUID of the Kubernetes cluster."
  value       = ionoscloud_k8s_cluster.this.id
}

output "cluster_name" {
  description = "Name of the Kubernetes cluster."
  value       = ionoscloud_k8s_cluster.this.name
}

output "k8s_version" {
  description = "Kubernetes version of the cluster."
  value       = ionoscloud_k8s_cluster.this.k8s_version
}

output "cluster_state" {
  description = "State of the cluster as IONOS reports it (ACTIVE when healthy)."
  value       = data.ionoscloud_k8s_cluster.this.state
}

output "kubeconfig" {
  description = "Kubeconfig of the cluster as YAML. The provider returns it as JSON and does not mark it sensitive; it holds a cluster-admin token."
  sensitive   = true
  # try: fall back to the raw document should it ever come as YAML already.
  value = try(yamlencode(jsondecode(data.ionoscloud_k8s_cluster.this.kube_config)), data.ionoscloud_k8s_cluster.this.kube_config)
}

output "api_server" {
  description = "URL of the Kubernetes API server, read from the kubeconfig (not secret)."
  value       = try(yamldecode(data.ionoscloud_k8s_cluster.this.kube_config).clusters[0].cluster.server, null)
}

output "api_subnet_allow_list" {
  description = "CIDRs allowed to reach the Kubernetes API (empty: unrestricted)."
  value       = ionoscloud_k8s_cluster.this.api_subnet_allow_list
}

output "node_pool_id" {
  description = "UUID of the node pool."
  value       = local.node_pool.id
}

output "node_pool_name" {
  description = "Name of the node pool."
  value       = local.node_pool.name
}

output "node_pool_state" {
  description = "State of the node pool as IONOS reports it (ACTIVE when healthy)."
  value       = data.ionoscloud_k8s_node_pool.this.state
}

output "public_ips" {
  description = "Public IPs the node pool was given (the reserved ones; empty when IONOS chooses them)."
  value       = data.ionoscloud_k8s_node_pool.this.public_ips
}

output "node_public_ips" {
  description = "Public IPs the nodes have now, read from the nodes (reserved or chosen by IONOS)."
  value       = [for n in data.ionoscloud_k8s_node_pool_nodes.this.nodes : n.public_ip if n.public_ip != null && n.public_ip != ""]
}

output "autoscaling" {
  description = "Autoscaling bounds, or null for a fixed-size pool."
  value       = var.autoscaling
}
