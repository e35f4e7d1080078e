output "node_storage_type" {
  description = "Disk type for the node pool."
  value       = var.node_storage_type
}

output "node_storage_size" {
  description = "Disk size in GB for the node pool."
  value       = var.node_storage_size
}

output "volume_ids" {
  description = "UUIDs of the extra volumes by key."
  value       = { for k, v in ionoscloud_volume.this : k => v.id }
}
