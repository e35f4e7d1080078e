resource "ionoscloud_container_registry" "this" {
  name                  = var.name
  location              = var.location
  api_subnet_allow_list = var.api_subnet_allow_list

  garbage_collection_schedule {
    days = var.garbage_collection_schedule.days
    time = var.garbage_collection_schedule.time
  }

  features {
    vulnerability_scanning = var.vulnerability_scanning
  }
}

# The token the cluster pulls with. Its password is returned only when the
# token is created; it lives in the Terraform state (keep the state private).
resource "ionoscloud_container_registry_token" "pull" {
  registry_id = ionoscloud_container_registry.this.id
  name        = var.token_name
  expiry_date = var.token_expiry_date
  status      = "enabled"

  dynamic "scopes" {
    for_each = var.token_scopes
    content {
      name    = scopes.value.name
      type    = scopes.value.type
      actions = scopes.value.actions
    }
  }
}
