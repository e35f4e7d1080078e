# The K3s-on-AWS stack of the Ticketly guide. dev (platform = false) is a
# developer's workspace: the queues, the assets bucket and the IAM users.
# production adds the platform: VPC over 3 zones, K3s on EC2, RDS
# PostgreSQL, the ALB behind WAF, and the schedules.

locals {
  name     = "${var.project}-${var.environment}"
  platform = var.platform ? 1 : 0

  subnet_cidrs = concat(var.public_subnet_cidrs, var.private_subnet_cidrs)
  prefix_len   = [for c in local.subnet_cidrs : tonumber(split("/", c)[1])]
  # Terraform has no cidrcontains: two ranges overlap exactly when their
  # networks agree at the shorter of the two prefix lengths.
  subnet_overlaps = [
    for p in setproduct(range(length(local.subnet_cidrs)), range(length(local.subnet_cidrs))) :
    "${local.subnet_cidrs[p[0]]} overlaps ${local.subnet_cidrs[p[1]]}"
    if p[0] < p[1] && cidrhost("${split("/", local.subnet_cidrs[p[0]])[0]}/${min(local.prefix_len[p[0]], local.prefix_len[p[1]])}", 0) == cidrhost("${split("/", local.subnet_cidrs[p[1]])[0]}/${min(local.prefix_len[p[0]], local.prefix_len[p[1]])}", 0)
  ]
  vpc_len = tonumber(split("/", var.vpc_cidr)[1])
  outside_vpc = [
    for i, c in local.subnet_cidrs : c
    if local.prefix_len[i] < local.vpc_len || cidrhost("${split("/", c)[0]}/${local.vpc_len}", 0) != cidrhost(var.vpc_cidr, 0)
  ]
}

module "queues" {
  source            = "./modules/queues"
  prefix            = local.name
  names             = var.queues
  max_receive_count = var.queue_max_receive_count
}

module "assets" {
  source             = "./modules/assets"
  bucket_name        = var.assets_bucket_name
  public_read_prefix = var.public_read_prefix
  force_destroy      = var.environment == "dev"
}

module "access" {
  source            = "./modules/access"
  name              = local.name
  bucket_arn        = module.assets.arn
  queue_arns        = concat(values(module.queues.arns), values(module.queues.dlq_arns))
  vigil_policy_json = file("${path.root}/${var.vigil_readonly_policy_file}")
}

module "network" {
  count                = local.platform
  source               = "./modules/network"
  name                 = local.name
  vpc_cidr             = var.vpc_cidr
  availability_zones   = var.availability_zones
  public_subnet_cidrs  = var.public_subnet_cidrs
  private_subnet_cidrs = var.private_subnet_cidrs
}

module "k3s" {
  count                       = local.platform
  source                      = "./modules/k3s"
  name                        = local.name
  vpc_id                      = module.network[0].vpc_id
  vpc_cidr                    = module.network[0].vpc_cidr
  public_subnet_ids           = module.network[0].public_subnet_ids
  private_subnet_ids          = module.network[0].private_subnet_ids
  admin_cidrs                 = var.admin_cidrs
  ssh_public_key              = try(trimspace(file("${path.root}/${var.ssh_public_key_file}")), "")
  ami_id                      = var.ami_id
  control_plane_instance_type = var.control_plane_instance_type
  worker_instance_type        = var.worker_instance_type
  infra_instance_type         = var.infra_instance_type
  worker_count                = var.worker_count
  infra_private_ip            = var.infra_private_ip
  k3s_version                 = var.k3s_version
}

module "database" {
  count                      = local.platform
  source                     = "./modules/database"
  name                       = local.name
  vpc_id                     = module.network[0].vpc_id
  subnet_ids                 = module.network[0].private_subnet_ids
  client_security_group_id   = module.k3s[0].worker_security_group_id
  infra_security_group_id    = module.k3s[0].infra_security_group_id
  instance_class             = var.db_instance_class
  engine_version             = var.db_engine_version
  auto_minor_version_upgrade = var.db_auto_minor_version_upgrade
  allocated_storage          = var.db_allocated_storage
  backup_retention_days      = var.db_backup_retention_days
  deletion_protection        = var.db_deletion_protection
}

module "edge" {
  count                    = local.platform
  source                   = "./modules/edge"
  name                     = local.name
  vpc_id                   = module.network[0].vpc_id
  public_subnet_ids        = module.network[0].public_subnet_ids
  certificate_arn          = var.acm_certificate_arn
  target_instance_ids      = module.k3s[0].worker_instance_ids
  target_count             = var.worker_count
  worker_security_group_id = module.k3s[0].worker_security_group_id
  upload_path_prefix       = var.upload_path_prefix
  max_body_bytes           = var.max_body_bytes
}

module "schedules" {
  count  = var.platform && length(var.schedules) > 0 ? 1 : 0
  source = "./modules/schedules"
  name   = local.name
  schedules = {
    for k, s in var.schedules : k => {
      expression = s.expression
      queue_arn  = module.queues.arns[s.queue]
      input      = s.input
      timezone   = s.timezone
    }
  }
}

# Checked at plan time, with the variables' own validations: what needs the
# platform's inputs together.
resource "terraform_data" "platform_inputs" {
  count = local.platform

  lifecycle {
    precondition {
      condition     = var.ssh_public_key_file != null && var.ami_id != null
      error_message = "the platform needs ssh_public_key_file (your OpenSSH public key, e.g. keys/ticketly.pub) and ami_id (Ubuntu 24.04 amd64 in ${var.region})."
    }
    precondition {
      condition     = length(local.subnet_overlaps) == 0
      error_message = "Subnet CIDRs overlap: ${join("; ", local.subnet_overlaps)}. Give every public and private subnet its own range inside vpc_cidr ${var.vpc_cidr}."
    }
    precondition {
      condition     = length(local.outside_vpc) == 0
      error_message = "Subnet CIDRs outside vpc_cidr ${var.vpc_cidr}: ${join(", ", local.outside_vpc)}."
    }
  }
}
