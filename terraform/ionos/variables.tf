# Inputs of the IONOS stack. Each environment sets them in
# environments/<env>.tfvars. Rules that compare two variables (production
# needs 3+ nodes, SSD and an API allow list) are preconditions in
# outputs.tf: validation blocks may reference other variables only from
# Terraform 1.9, and this stack supports 1.6.

variable "environment" {
  description = "Environment name: dev, staging or production. Names every resource and switches on the production rules."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be dev, staging or production."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name; resources are named <prefix>-<environment>."
  type        = string
  default     = "vigil"

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{0,30}$", var.name_prefix))
    error_message = "name_prefix must start with a lowercase letter and contain only lowercase letters, digits or hyphens (at most 31 characters), because it becomes part of the registry name."
  }
}

variable "location" {
  description = "IONOS location of the data center, IP block and (unless registry_location is set) the registry, for example de/fra."
  type        = string

  validation {
    condition     = contains(["de/fra", "de/fra/2", "de/txl", "us/las", "us/ewr", "us/mci", "gb/lhr", "gb/bhx", "es/vit", "fr/par"], var.location)
    error_message = "Unknown IONOS location. Use one of: de/fra, de/fra/2, de/txl, us/las, us/ewr, us/mci, gb/lhr, gb/bhx, es/vit, fr/par."
  }
}

variable "sec_auth_protection" {
  description = "Require two-factor authentication for changes to the data center."
  type        = bool
  default     = false
}

variable "k8s_version" {
  description = "Kubernetes version as major.minor.patch (for example 1.31.2), or null for IONOS's current default."
  type        = string
  default     = null

  validation {
    condition     = var.k8s_version == null || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.k8s_version))
    error_message = "k8s_version must be major.minor.patch, for example 1.31.2 (or null). The provider compares versions as x.y.z: a \"1.31\" would make every later plan try to change it back."
  }
}

variable "node_count" {
  description = "Number of Kubernetes nodes (the starting size when autoscaling is on). Production needs at least 3."
  type        = number
}

variable "cores_count" {
  description = "CPU cores per node."
  type        = number
  default     = 2
}

variable "ram_size" {
  description = "RAM per node in MB, a multiple of 1024: 8192 for 8 GB, 16384 for 16 GB."
  type        = number

  validation {
    condition     = var.ram_size >= 2048 && var.ram_size % 1024 == 0
    error_message = "ram_size is in MB and must be a multiple of 1024 of at least 2048 (for example 8192 for 8 GB, 16384 for 16 GB). Did you write GB instead of MB?"
  }
}

variable "storage_type" {
  description = "Node disk type: HDD or SSD (the only two the node-pool API accepts). Production needs SSD."
  type        = string

  validation {
    condition     = contains(["HDD", "SSD"], var.storage_type)
    error_message = "storage_type must be HDD or SSD: the Kubernetes node-pool API accepts only these two (SSD Standard and SSD Premium are volume disk types, see extra_volumes)."
  }
}

variable "storage_size" {
  description = "Node disk size in GB."
  type        = number
  default     = 100
}

variable "availability_zone" {
  description = "Availability zone of the nodes: AUTO, ZONE_1 or ZONE_2."
  type        = string
  default     = "AUTO"
}

variable "cpu_family" {
  description = "CPU family of the nodes, or null for the location's default."
  type        = string
  default     = null
}

variable "autoscaling" {
  description = "Node pool autoscaling bounds ({ min_node_count, max_node_count }), or null for a fixed size."
  type = object({
    min_node_count = number
    max_node_count = number
  })
  default = null

  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.min_node_count < var.autoscaling.max_node_count, false)
    error_message = "autoscaling.min_node_count must be less than autoscaling.max_node_count (IONOS refuses equal bounds: \"max_node_count cannot be equal to min_node_count\"). For a fixed size, set autoscaling = null and node_count."
  }
  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.min_node_count >= 1, false)
    error_message = "autoscaling.min_node_count must be at least 1."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window of the cluster and node pool (UTC)."
  type = object({
    day_of_the_week = string
    time            = string
  })
  default = {
    day_of_the_week = "Sunday"
    time            = "03:00:00Z"
  }
}

variable "api_subnet_allow_list" {
  description = "CIDRs allowed to reach the Kubernetes API. Empty means the API is open to the internet, which production refuses."
  type        = list(string)
  default     = []
}

variable "lan_public" {
  description = "Whether the stack's LAN is public. A private LAN is attached to the nodes."
  type        = bool
  default     = false
}

variable "reserve_public_ips" {
  description = "Reserve an IP block of public_ip_block_size addresses for the nodes' public IPs, so that allow lists elsewhere can name them. Without it the nodes still get public IPs, chosen by IONOS (k8s_public_ips lists them)."
  type        = bool
  default     = true
}

# COST: reserved IPs are billed per IP and hour whether a node uses them or
# not, so the block costs public_ip_block_size x your contract's price per
# reserved IPv4 address x ~730 h a month (see the IONOS price list of your
# contract; the billing collector reports it once configured).
variable "public_ip_block_size" {
  description = "Size of the reserved IP block: at least the largest node count plus one (IONOS needs one more IP than nodes). Fixed per environment on purpose: scaling the pool never touches the block, but CHANGING THIS VALUE REPLACES THE BLOCK and with it every node's public IP (update every allow list that names them). Cost: this many reserved IPs, billed monthly whether used or not."
  type        = number
  default     = 4

  validation {
    condition     = var.public_ip_block_size >= 2 && floor(var.public_ip_block_size) == var.public_ip_block_size
    error_message = "public_ip_block_size must be a whole number of at least 2 (one node plus one)."
  }
}

variable "registry_location" {
  description = "Location of the container registry, or null for the data center's location."
  type        = string
  default     = null
}

variable "registry_name" {
  description = "Name of the container registry, or null for <name_prefix>-<environment>-<random suffix>. Registry names are unique across ALL IONOS customers (the host name is <name>.cr.<region>.ionos.com), so a name like vigil-dev is taken; the suffix is drawn once, at creation, and kept in the state. Set it only to adopt an existing registry."
  type        = string
  default     = null

  validation {
    condition     = var.registry_name == null || can(regex("^[a-z][-a-z0-9]{1,61}[a-z0-9]$", var.registry_name))
    error_message = "registry_name must start with a lowercase letter, contain only lowercase letters, digits or hyphens, end with a letter or digit, and be 3 to 63 characters long."
  }
}

variable "registry_garbage_collection_schedule" {
  description = "Registry garbage collection: days and a UTC time written hh:mm:ss+00:00, the form the API returns (any other form would show as a change on every plan)."
  type = object({
    days = list(string)
    time = string
  })
  default = {
    days = ["Saturday"]
    time = "02:00:00+00:00"
  }

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\+00:00$", var.registry_garbage_collection_schedule.time))
    error_message = "registry_garbage_collection_schedule.time must be a UTC time written hh:mm:ss+00:00, for example 02:00:00+00:00: the API returns it in that form, so a Z or another offset would show as a change on every plan."
  }
}

variable "registry_vulnerability_scanning" {
  description = "Enable the registry's vulnerability scanning (paid, and it cannot be switched off once on)."
  type        = bool
  default     = false
}

variable "registry_api_subnet_allow_list" {
  description = "CIDRs allowed to reach the registry; empty means unrestricted."
  type        = list(string)
  default     = []
}

variable "registry_token_expiry_date" {
  description = "Expiry of the registry pull token, \"YYYY-MM-DD hh:mm:ssZ\" (UTC). Rotate it before then: Vigil's expiry collector (expiry.ionos.registry_tokens) tickets 30 days and pages 3 days ahead (TokenExpiringSoon, TokenExpiringImminently)."
  type        = string
  default     = null
}

variable "extra_volumes" {
  description = "Extra block volumes attached to volume_server_id (see modules/storage); disk_type HDD, SSD, SSD Standard or SSD Premium. Usually empty for a Kubernetes-only stack."
  type = map(object({
    size         = number
    disk_type    = optional(string, "SSD")
    name         = optional(string)
    licence_type = optional(string, "OTHER")
  }))
  default = {}
}

variable "volume_server_id" {
  description = "UUID of the server extra_volumes attach to."
  type        = string
  default     = null
}

variable "app_namespace" {
  description = "Kubernetes namespace Vigil is deployed into."
  type        = string
  default     = "vigil"
}

variable "app_image_tag" {
  description = "Tag of the Vigil image the deploy step runs."
  type        = string
  default     = "latest"
}
