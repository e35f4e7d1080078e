variable "project" {
  description = "Name prefix of every resource (e.g. ticketly)."
  type        = string
  default     = "ticketly"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be 2 to 21 lower-case letters, digits or -, starting with a letter (it prefixes bucket, queue and IAM names)."
  }
}

variable "environment" {
  description = "dev (a developer's workspace: SQS, S3 and IAM only) or production (everything)."
  type        = string

  validation {
    condition     = contains(["dev", "production"], var.environment)
    error_message = "environment must be dev or production, got \"${var.environment}\"."
  }
}

variable "platform" {
  description = "Create the K3s platform (VPC, EC2, RDS, ALB, WAF, schedules). false gives the dev workspace: SQS, S3 and IAM only."
  type        = bool
  default     = true

  validation {
    condition     = var.platform || var.environment != "production"
    error_message = "production needs platform = true: without it the VPC, K3s nodes, RDS, ALB and WAF would be destroyed."
  }
}

variable "region" {
  description = "AWS region of everything in the stack."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region \"${var.region}\" is not an AWS region name such as eu-central-1."
  }
}

variable "availability_zones" {
  description = "Availability zones, one public and one private subnet in each. production needs 3."
  type        = list(string)
  default     = []

  validation {
    condition     = var.environment != "production" || length(var.availability_zones) >= 3
    error_message = "production needs at least 3 availability_zones (one subnet of each kind per zone, so RDS and the ALB survive a zone outage); got ${length(var.availability_zones)}: ${jsonencode(var.availability_zones)}."
  }
  validation {
    condition     = alltrue([for z in var.availability_zones : startswith(z, var.region)])
    error_message = "every availability zone must be in region ${var.region}; got ${jsonencode(var.availability_zones)}."
  }
  validation {
    condition     = length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones lists a zone twice: ${jsonencode(var.availability_zones)}."
  }
}

variable "vpc_cidr" {
  description = "The VPC's address range."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr \"${var.vpc_cidr}\" must be an IPv4 CIDR of /24 or larger, e.g. 10.0.0.0/16."
  }
}

variable "public_subnet_cidrs" {
  description = "One public subnet per availability zone (ALB, NAT gateway, control plane)."
  type        = list(string)
  default     = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
}

variable "private_subnet_cidrs" {
  description = "One private subnet per availability zone (workers, infra node, RDS). The first holds infra_private_ip."
  type        = list(string)
  default     = ["10.0.80.0/24", "10.0.81.0/24", "10.0.82.0/24"]
}

variable "admin_cidrs" {
  description = "Addresses allowed to reach the control plane over SSH (22) and the Kubernetes API (6443): your office or VPN ranges. In production each is /8 or narrower (never 0.0.0.0/0, nor the internet in pieces such as 0.0.0.0/1 and 128.0.0.0/1)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0))])
    error_message = "admin_cidrs must be CIDRs such as 203.0.113.7/32; got ${jsonencode(var.admin_cidrs)}."
  }
  validation {
    condition     = var.environment != "production" || length(var.admin_cidrs) > 0
    error_message = "production needs admin_cidrs listing your own addresses (SSH and the Kubernetes API must not be closed to everyone)."
  }
  # Any range wider than /8 (0.0.0.0/0 too) is not an office or a VPN: a
  # list of such halves or quarters opens SSH and the API to the internet
  # as surely as 0.0.0.0/0.
  validation {
    condition     = var.environment != "production" || alltrue([for c in var.admin_cidrs : try(tonumber(split("/", c)[1]) >= 8, false)])
    error_message = "production's admin_cidrs must be your office or VPN ranges, each /8 or narrower (SSH and the Kubernetes API must not be open to the internet); too wide: ${join(", ", [for c in var.admin_cidrs : c if !try(tonumber(split("/", c)[1]) >= 8, false)])}."
  }
}

variable "ssh_public_key_file" {
  description = "Public key file of the key pair (relative to this directory); the private key never touches Terraform."
  type        = string
  default     = null
}

variable "ami_id" {
  description = "AMI of every node: Ubuntu 24.04 LTS (amd64) in the region."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null ? true : can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id \"${var.ami_id == null ? "" : var.ami_id}\" is not an AMI id such as ami-0123456789abcdef0."
  }
}

# The guide runs K3s on these: 2 vCPU and 4 GiB at least, x86_64.
variable "supported_instance_types" {
  description = "Instance types the guide supports for K3s nodes."
  type        = list(string)
  default     = ["t3.medium", "t3.large", "t3.xlarge", "t3a.medium", "t3a.large", "t3a.xlarge", "m5.large", "m5.xlarge", "m6i.large", "m6i.xlarge"]
}

variable "control_plane_instance_type" {
  type    = string
  default = "t3.medium"

  validation {
    condition     = contains(var.supported_instance_types, var.control_plane_instance_type)
    error_message = "control_plane_instance_type \"${var.control_plane_instance_type}\" is not supported by the guide; use one of ${join(", ", var.supported_instance_types)}."
  }
}

variable "worker_instance_type" {
  type    = string
  default = "t3.large"

  validation {
    condition     = contains(var.supported_instance_types, var.worker_instance_type)
    error_message = "worker_instance_type \"${var.worker_instance_type}\" is not supported by the guide; use one of ${join(", ", var.supported_instance_types)}."
  }
}

variable "infra_instance_type" {
  type    = string
  default = "t3.xlarge"

  validation {
    condition     = contains(var.supported_instance_types, var.infra_instance_type)
    error_message = "infra_instance_type \"${var.infra_instance_type}\" is not supported by the guide; use one of ${join(", ", var.supported_instance_types)}."
  }
}

variable "worker_count" {
  description = "K3s agents (4 in production)."
  type        = number
  default     = 4

  validation {
    condition     = var.worker_count >= 1 && var.worker_count <= 20 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number from 1 to 20, got ${var.worker_count}."
  }
  validation {
    condition     = var.environment != "production" || var.worker_count >= 2
    error_message = "production needs at least 2 workers (the ALB needs a healthy target while one node is replaced), got ${var.worker_count}."
  }
}

variable "infra_private_ip" {
  description = "Fixed private address of the infrastructure node (Kafka, Redis, MongoDB, Debezium in Docker); the guide's apps are configured with it."
  type        = string
  default     = "10.0.80.20"

  validation {
    condition     = can(cidrhost("${var.infra_private_ip}/32", 0))
    error_message = "infra_private_ip \"${var.infra_private_ip}\" is not an IPv4 address."
  }
  validation {
    condition     = length(var.private_subnet_cidrs) == 0 ? false : cidrhost("${var.infra_private_ip}/${split("/", var.private_subnet_cidrs[0])[1]}", 0) == cidrhost(var.private_subnet_cidrs[0], 0)
    error_message = "infra_private_ip ${var.infra_private_ip} is not inside the first private subnet ${try(var.private_subnet_cidrs[0], "(none)")}: move it there, or reorder private_subnet_cidrs."
  }
}

variable "k3s_version" {
  description = "K3s release installed by cloud-init (INSTALL_K3S_VERSION)."
  type        = string
  default     = "v1.33.5+k3s1"

  validation {
    condition     = can(regex("^v1\\.[0-9]+\\.[0-9]+\\+k3s[0-9]+$", var.k3s_version))
    error_message = "k3s_version \"${var.k3s_version}\" is not a K3s release such as v1.33.5+k3s1."
  }
}

variable "acm_certificate_arn" {
  description = "ARN of the ACM certificate of the ALB's HTTPS listener (in the stack's region)."
  type        = string
  default     = null

  validation {
    condition     = var.acm_certificate_arn == null ? true : can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn is not an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
  validation {
    condition     = var.acm_certificate_arn == null ? true : try(split(":", var.acm_certificate_arn)[3] == var.region, false)
    error_message = "acm_certificate_arn is in region ${try(split(":", var.acm_certificate_arn)[3], "?")}, but the stack deploys to ${var.region}: an ALB can only use a certificate of its own region. Request or import it in ${var.region}."
  }
  validation {
    condition     = !(var.platform && var.acm_certificate_arn == null)
    error_message = "the platform's ALB needs acm_certificate_arn (an ACM certificate in ${var.region}) for its HTTPS listener."
  }
}

variable "app_hostname" {
  description = "Host name users reach the applications at (a DNS record pointing at the ALB, covered by the certificate); provision check verifies the certificate for it."
  type        = string
  default     = null

  validation {
    condition     = var.app_hostname == null ? true : can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.app_hostname))
    error_message = "app_hostname must be a DNS name such as ticketly.example.com."
  }
}

variable "upload_path_prefix" {
  description = "Path prefix of the multipart upload API, starting and ending with /: the WAF's body size limit does not apply under it (matched on the URL-decoded, normalized path)."
  type        = string
  default     = "/api/uploads/"

  # Without the closing / the exception would cover /api/uploadsX as well.
  validation {
    condition     = startswith(var.upload_path_prefix, "/") && endswith(var.upload_path_prefix, "/") && length(var.upload_path_prefix) > 1
    error_message = "upload_path_prefix must start and end with / (e.g. /api/uploads/; without the closing / the WAF's size exception also covers /api/uploadsX), got \"${var.upload_path_prefix}\"."
  }
}

variable "max_body_bytes" {
  description = "Largest request body the WAF lets through outside upload_path_prefix."
  type        = number
  default     = 8192
}

variable "db_instance_class" {
  type    = string
  default = "db.t3.medium"
}

variable "db_engine_version" {
  description = <<-EOT
    PostgreSQL version; its major names the parameter group family. Give the
    major only (e.g. 16): RDS upgrades the minor automatically
    (db_auto_minor_version_upgrade), and the provider accepts a newer minor
    only when the configured version is a prefix of it. A major.minor pin
    (16.4) drifts after AWS's first automatic minor upgrade (16.6 running,
    every plan a downgrade that fails), so major.minor is accepted only with
    db_auto_minor_version_upgrade = false.
  EOT
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^(1[4-9]|[2-9][0-9])(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version \"${var.db_engine_version}\" must be PostgreSQL 14 or newer: the major (e.g. 16), or major.minor (e.g. 16.4) with db_auto_minor_version_upgrade = false."
  }
  validation {
    condition     = !strcontains(var.db_engine_version, ".") || !var.db_auto_minor_version_upgrade
    error_message = "db_engine_version \"${var.db_engine_version}\" pins a minor while RDS upgrades minors automatically: after the first upgrade every plan would want to go back to ${var.db_engine_version}. Give the major only (\"${split(".", var.db_engine_version)[0]}\"), or set db_auto_minor_version_upgrade = false to keep the pin."
  }
}

variable "db_auto_minor_version_upgrade" {
  description = "Let RDS apply minor PostgreSQL upgrades in the maintenance window. With true, db_engine_version must be the major only."
  type        = bool
  default     = true
}

variable "db_allocated_storage" {
  description = "RDS storage in GiB."
  type        = number
  default     = 20
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups (point-in-time recovery); the guide's RPO is 24 h."
  type        = number
  default     = 7

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be 1 to 35 (0 would turn automated backups off), got ${var.db_backup_retention_days}."
  }
}

variable "db_deletion_protection" {
  description = "Refuse to delete the RDS instance (true in production)."
  type        = bool
  default     = true
}

variable "assets_bucket_name" {
  description = "Name of the S3 assets bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.assets_bucket_name))
    error_message = "assets_bucket_name \"${var.assets_bucket_name}\" is not a valid S3 bucket name (3 to 63 lower-case letters, digits, . and -)."
  }
}

variable "public_read_prefix" {
  description = "Key prefix of the assets bucket that anyone may read (event images); \"\" keeps the whole bucket private."
  type        = string
  default     = ""

  validation {
    condition     = var.public_read_prefix == "" || (endswith(var.public_read_prefix, "/") && !startswith(var.public_read_prefix, "/") && !strcontains(var.public_read_prefix, "//"))
    error_message = "public_read_prefix must be \"\" or a key prefix ending in / with no empty segment, such as public/ (never the whole bucket), got \"${var.public_read_prefix}\"."
  }
  # The prefix goes into the bucket policy's resource ARN, where * and ? are
  # wildcards: "*/" would make nearly every key public.
  validation {
    condition     = !strcontains(var.public_read_prefix, "*") && !strcontains(var.public_read_prefix, "?")
    error_message = "public_read_prefix \"${var.public_read_prefix}\" contains * or ?, which the bucket policy reads as wildcards (\"*/\" makes nearly every key public): give a literal prefix such as public/."
  }
}

variable "queues" {
  description = "SQS queues (each gets a dead-letter queue named <queue>-dlq)."
  type        = list(string)
  default     = ["ticket-events", "email-notifications", "payment-events"]

  validation {
    condition     = alltrue([for q in var.queues : can(regex("^[a-z0-9-]{1,60}$", q))])
    error_message = "queue names must be lower-case letters, digits and -, at most 60 characters: ${jsonencode(var.queues)}."
  }
}

variable "queue_max_receive_count" {
  description = "Receives before a message moves to its dead-letter queue."
  type        = number
  default     = 5
}

variable "schedules" {
  description = "EventBridge Scheduler schedules, each sending input to one of the queues."
  type = map(object({
    expression = string
    queue      = string
    input      = string
    timezone   = optional(string, "UTC")
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.schedules) : contains(var.queues, s.queue)])
    error_message = "every schedule's queue must be one of queues (${join(", ", var.queues)})."
  }
  validation {
    condition     = alltrue([for s in values(var.schedules) : can(regex("^(rate|cron|at)\\(.+\\)$", s.expression))])
    error_message = "every schedule's expression must be rate(...), cron(...) or at(...)."
  }
}

variable "vigil_readonly_policy_file" {
  description = "The read-only IAM policy of Vigil's AWS collectors (JSON, relative to this directory)."
  type        = string
  default     = "policies/vigil-readonly.json"
}
