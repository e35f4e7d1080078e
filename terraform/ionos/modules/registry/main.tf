# Not every data-center location hosts a registry: the API says which do.
data "ionoscloud_container_registry_locations" "this" {}

resource "ionoscloud_container_registry" "this" {
  name                  = var.name
  location              = var.location
  api_subnet_allow_list = var.api_subnet_allow_list

  lifecycle {
    precondition {
      condition     = contains(data.ionoscloud_container_registry_locations.this.locations, var.location)
      error_message = "IONOS offers no container registry in ${var.location}; registry locations are: ${join(", ", data.ionoscloud_container_registry_locations.this.locations)}. Set registry_location in environments/<env>.tfvars to one of them (the data center may stay where it is)."
    }
  }

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

  # A new registry (its name and location are ForceNew) starts without tokens:
  # the token must be created again with it, not updated to point at it.
  # Triggered by the id, which changes only on replacement, so an in-place
  # change of the registry keeps the token and its password.
  lifecycle {
    replace_triggered_by = [ionoscloud_container_registry.this.id]
  }

  dynamic "scopes" {
    for_each = var.token_scopes
    content {
      name    = scopes.value.name
      type    = scopes.value.type
      actions = scopes.value.actions
    }
  }
}
