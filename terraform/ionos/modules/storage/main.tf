resource "ionoscloud_volume" "this" {
  for_each = var.volumes

  datacenter_id = var.datacenter_id
  server_id     = var.server_id
  name          = coalesce(each.value.name, each.key)
  size          = each.value.size
  disk_type     = each.value.disk_type
  licence_type  = each.value.licence_type

  lifecycle {
    precondition {
      condition     = var.server_id != null
      error_message = "Volume \"${each.key}\" needs server_id: IONOS volumes always attach to a server."
    }
  }
}
