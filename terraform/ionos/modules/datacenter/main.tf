# The virtual data center that holds the node pool, LANs and volumes.
resource "ionoscloud_datacenter" "this" {
  name                = var.name
  location            = var.location
  description         = var.description
  sec_auth_protection = var.sec_auth_protection
}
