output "lan_id" {
  description = "ID of the LAN (a number, as a string, as IONOS numbers LANs within a data center)."
  value       = ionoscloud_lan.this.id
}

output "lan_name" {
  description = "Name of the LAN."
  value       = ionoscloud_lan.this.name
}

output "lan_public" {
  description = "Whether the LAN is public."
  value       = ionoscloud_lan.this.public
}

output "node_pool_lan_ids" {
  description = "LAN ids to attach to the node pool: the LAN when it is private, none when it is public."
  value       = var.lan_public ? [] : [tonumber(ionoscloud_lan.this.id)]
}

output "ip_block_id" {
  description = "UUID of the IP block, or null when no public IPs are reserved."
  value       = one(ionoscloud_ipblock.nodes[*].id)
}

output "public_ips" {
  description = "Reserved public IPs for the node pool (empty when none)."
  value       = length(ionoscloud_ipblock.nodes) > 0 ? ionoscloud_ipblock.nodes[0].ips : []
}
