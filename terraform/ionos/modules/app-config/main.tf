# Pure derivation, no resources: what the deploy step needs to pull and run
# the Vigil image, computed from the registry and cluster outputs.
locals {
  image_repository = "${var.registry_hostname}/${var.image_name}"
  # A moving tag must be pulled every time, or nodes keep running stale
  # images; a fixed tag is pulled once per node.
  image_pull_policy = var.image_tag == "latest" ? "Always" : "IfNotPresent"

  has_credentials = var.registry_username != null && var.registry_password != null
}
