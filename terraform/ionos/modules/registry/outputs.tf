output "id" {
  description = "UUID of the registry."
  value       = ionoscloud_container_registry.this.id
}

output "name" {
  description = "Name of the registry."
  value       = ionoscloud_container_registry.this.name
}

output "hostname" {
  description = "Host name of the registry, for example vigil-prod.cr.de-fra.ionos.com."
  value       = ionoscloud_container_registry.this.hostname
}

output "location" {
  description = "Location of the registry."
  value       = ionoscloud_container_registry.this.location
}

output "garbage_collection_schedule" {
  description = "Garbage-collection schedule of the registry."
  value       = var.garbage_collection_schedule
}

output "token_id" {
  description = "UUID of the pull token."
  value       = ionoscloud_container_registry_token.pull.id
}

output "token_name" {
  description = "Name of the pull token."
  value       = ionoscloud_container_registry_token.pull.name
}

output "token_expiry_date" {
  description = "Expiry of the pull token as set in the configuration, or null when it never expires."
  value       = var.token_expiry_date
}

output "token_username" {
  description = "User name of the pull token."
  value       = try(ionoscloud_container_registry_token.pull.credentials[0].username, null)
}

output "token_password" {
  description = "Password of the pull token (known only from the create; the provider does not mark it sensitive, so this output does)."
  sensitive   = true
  value       = try(ionoscloud_container_registry_token.pull.credentials[0].password, null)
}
