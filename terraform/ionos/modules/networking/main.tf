resource "ionoscloud_lan" "this" {
  datacenter_id = var.datacenter_id
  name          = var.lan_name
  public        = var.lan_public
}

# Reserved public IPs for the nodes, so that firewalls and allow lists
# elsewhere can name them before the nodes exist.
resource "ionoscloud_ipblock" "nodes" {
  count = var.public_ip_count > 0 ? 1 : 0

  name     = var.ip_block_name
  location = var.location
  size     = var.public_ip_count
}
