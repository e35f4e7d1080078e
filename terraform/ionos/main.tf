# The IONOS stack: a data center with a LAN and reserved public IPs, a
# Managed Kubernetes cluster with one node pool, a private container
# registry with a pull token, optional volumes, and the application settings
# the deploy step reads.

locals {
  name       = "${var.name_prefix}-${var.environment}"
  max_nodes  = var.autoscaling == null ? var.node_count : var.autoscaling.max_node_count
  production = var.environment == "production"
}

module "datacenter" {
  source = "./modules/datacenter"

  name                = local.name
  location            = var.location
  description         = "Vigil ${var.environment} (managed by Terraform)"
  sec_auth_protection = var.sec_auth_protection
}

module "networking" {
  source = "./modules/networking"

  datacenter_id = module.datacenter.id
  location      = var.location
  lan_name      = "${local.name}-lan"
  lan_public    = var.lan_public
  ip_block_name = "${local.name}-nodes"
  # A fixed size per environment, NOT derived from the node count: the
  # block's size is ForceNew, so a size that followed node_count would give
  # every node new public IPs on each scaling change.
  public_ip_count = var.reserve_public_ips ? var.public_ip_block_size : 0
}

module "storage" {
  source = "./modules/storage"

  datacenter_id     = module.datacenter.id
  node_storage_type = var.storage_type
  node_storage_size = var.storage_size
  volumes           = var.extra_volumes
  server_id         = var.volume_server_id
}

module "kubernetes" {
  source = "./modules/kubernetes"

  cluster_name          = "${local.name}-k8s"
  k8s_version           = var.k8s_version
  maintenance_window    = var.maintenance_window
  api_subnet_allow_list = var.api_subnet_allow_list

  datacenter_id     = module.datacenter.id
  node_pool_name    = "${local.name}-pool"
  node_count        = var.node_count
  cores_count       = var.cores_count
  ram_size          = var.ram_size
  storage_type      = module.storage.node_storage_type
  storage_size      = module.storage.node_storage_size
  availability_zone = var.availability_zone
  cpu_family        = var.cpu_family
  autoscaling       = var.autoscaling
  public_ips        = module.networking.public_ips
  lan_ids           = module.networking.node_pool_lan_ids
  labels = {
    environment = var.environment
    managed-by  = "terraform"
  }
}

# Registry names are unique across all IONOS customers, so <prefix>-<env>
# alone would collide with every other Vigil user's. The random suffix is
# drawn once, when the registry is first planned (uuid() is unknown until
# apply), and kept in the state: ignore_changes stops it changing on later
# plans, which would replace the registry (its name is ForceNew).
resource "terraform_data" "registry_suffix" {
  count = var.registry_name == null ? 1 : 0

  input = substr(replace(uuid(), "-", ""), 0, 6)

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  registry_name = var.registry_name != null ? var.registry_name : "${local.name}-${one(terraform_data.registry_suffix[*].output)}"
}

module "registry" {
  source = "./modules/registry"

  name                        = local.registry_name
  location                    = coalesce(var.registry_location, var.location)
  garbage_collection_schedule = var.registry_garbage_collection_schedule
  vulnerability_scanning      = var.registry_vulnerability_scanning
  api_subnet_allow_list       = var.registry_api_subnet_allow_list
  token_name                  = "${local.name}-pull"
  token_expiry_date           = var.registry_token_expiry_date
}

module "app_config" {
  source = "./modules/app-config"

  environment       = var.environment
  namespace         = var.app_namespace
  registry_hostname = module.registry.hostname
  image_tag         = var.app_image_tag
  registry_username = module.registry.token_username
  registry_password = module.registry.token_password
}
