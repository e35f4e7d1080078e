locals {
  # IONOS asks for at least one public IP more than the largest node count.
  max_nodes           = var.autoscaling == null ? var.node_count : var.autoscaling.max_node_count
  public_ips_too_few  = length(var.public_ips) > 0 && length(var.public_ips) < local.max_nodes + 1
  public_ips_required = local.max_nodes + 1
}

resource "ionoscloud_k8s_cluster" "this" {
  name                  = var.cluster_name
  k8s_version           = var.k8s_version
  public                = true
  api_subnet_allow_list = var.api_subnet_allow_list

  maintenance_window {
    day_of_the_week = var.maintenance_window.day_of_the_week
    time            = var.maintenance_window.time
  }
}

# Two variants of the node pool, because lifecycle.ignore_changes cannot be
# conditional: with autoscaling the autoscaler owns node_count and Terraform
# must not fight it; without autoscaling a change of node_count must apply.
# Switching a pool between the two replaces it.
resource "ionoscloud_k8s_node_pool" "fixed" {
  count = var.autoscaling == null ? 1 : 0

  name              = var.node_pool_name
  k8s_version       = coalesce(var.k8s_version, ionoscloud_k8s_cluster.this.k8s_version)
  datacenter_id     = var.datacenter_id
  k8s_cluster_id    = ionoscloud_k8s_cluster.this.id
  availability_zone = var.availability_zone
  cpu_family        = var.cpu_family
  server_type       = var.server_type
  node_count        = var.node_count
  cores_count       = var.cores_count
  ram_size          = var.ram_size
  storage_type      = var.storage_type
  storage_size      = var.storage_size
  public_ips        = var.public_ips
  labels            = var.labels
  annotations       = var.annotations

  maintenance_window {
    day_of_the_week = var.maintenance_window.day_of_the_week
    time            = var.maintenance_window.time
  }

  dynamic "lans" {
    for_each = var.lan_ids
    content {
      id   = lans.value
      dhcp = true
    }
  }

  lifecycle {
    precondition {
      condition     = !local.public_ips_too_few
      error_message = "public_ips has ${length(var.public_ips)} addresses; IONOS needs at least ${local.public_ips_required} (node count plus one)."
    }
  }
}

resource "ionoscloud_k8s_node_pool" "autoscaled" {
  count = var.autoscaling == null ? 0 : 1

  name              = var.node_pool_name
  k8s_version       = coalesce(var.k8s_version, ionoscloud_k8s_cluster.this.k8s_version)
  datacenter_id     = var.datacenter_id
  k8s_cluster_id    = ionoscloud_k8s_cluster.this.id
  availability_zone = var.availability_zone
  cpu_family        = var.cpu_family
  server_type       = var.server_type
  node_count        = var.node_count
  cores_count       = var.cores_count
  ram_size          = var.ram_size
  storage_type      = var.storage_type
  storage_size      = var.storage_size
  public_ips        = var.public_ips
  labels            = var.labels
  annotations       = var.annotations

  auto_scaling {
    min_node_count = var.autoscaling.min_node_count
    max_node_count = var.autoscaling.max_node_count
  }

  maintenance_window {
    day_of_the_week = var.maintenance_window.day_of_the_week
    time            = var.maintenance_window.time
  }

  dynamic "lans" {
    for_each = var.lan_ids
    content {
      id   = lans.value
      dhcp = true
    }
  }

  lifecycle {
    # The autoscaler changes node_count; IONOS documents ignoring it.
    ignore_changes = [node_count]

    precondition {
      condition     = var.node_count >= var.autoscaling.min_node_count && var.node_count <= var.autoscaling.max_node_count
      error_message = "node_count (${var.node_count}) must lie between autoscaling.min_node_count (${var.autoscaling.min_node_count}) and autoscaling.max_node_count (${var.autoscaling.max_node_count})."
    }
    precondition {
      condition     = !local.public_ips_too_few
      error_message = "public_ips has ${length(var.public_ips)} addresses; IONOS needs at least ${local.public_ips_required} (maximum node count plus one)."
    }
  }
}

locals {
  node_pool = one(concat(ionoscloud_k8s_node_pool.fixed, ionoscloud_k8s_node_pool.autoscaled))
}

# The resources carry no state or kubeconfig: the data sources read them back.
data "ionoscloud_k8s_cluster" "this" {
  id = ionoscloud_k8s_cluster.this.id
}

data "ionoscloud_k8s_node_pool" "this" {
  k8s_cluster_id = ionoscloud_k8s_cluster.this.id
  id             = local.node_pool.id
}

# The nodes as they are: their public IPs whether reserved or chosen by IONOS
# (the node pool's own public_ips is only what was asked for, empty without
# a reserved block).
data "ionoscloud_k8s_node_pool_nodes" "this" {
  k8s_cluster_id = ionoscloud_k8s_cluster.this.id
  node_pool_id   = local.node_pool.id
}
