output "id" {
  description = "UUID of the data center."
  value       = ionoscloud_datacenter.this.id
}

output "name" {
  description = "Name of the data center."
  value       = ionoscloud_datacenter.this.name
}

output "location" {
  description = "Location of the data center."
  value       = ionoscloud_datacenter.this.location
}
