variable "cluster_name" {
  description = "Name of the Managed Kubernetes cluster."
  type        = string
}

variable "k8s_version" {
  description = "Kubernetes version of the cluster and node pool as major.minor.patch (for example 1.31.2), or null to let IONOS pick its default for the cluster and follow the cluster's version in the node pool."
  type        = string
  default     = null

  validation {
    condition     = var.k8s_version == null || can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.k8s_version))
    error_message = "k8s_version must be major.minor.patch, for example 1.31.2 (or null): the provider compares versions as x.y.z, and a 1.31 would make every later plan try to change it back."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window of the cluster and node pool: day_of_the_week (Monday to Sunday) and time in UTC as hh:mm:ssZ."
  type = object({
    day_of_the_week = string
    time            = string
  })
  default = {
    day_of_the_week = "Sunday"
    time            = "03:00:00Z"
  }

  validation {
    condition     = contains(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], var.maintenance_window.day_of_the_week)
    error_message = "maintenance_window.day_of_the_week must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday."
  }
  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$", var.maintenance_window.time))
    error_message = "maintenance_window.time must be a UTC time written hh:mm:ssZ, for example 03:00:00Z."
  }
}

variable "api_subnet_allow_list" {
  description = "CIDRs allowed to reach the Kubernetes API. Empty means unrestricted (acceptable outside production only)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.api_subnet_allow_list : can(cidrhost(c, 0))])
    error_message = "Every api_subnet_allow_list entry must be a CIDR such as 203.0.113.7/32."
  }
}

variable "datacenter_id" {
  description = "UUID of the data center the node pool runs in."
  type        = string
}

variable "node_pool_name" {
  description = "Name of the node pool."
  type        = string
}

variable "node_count" {
  description = "Number of nodes. With autoscaling this is only the starting size; the autoscaler owns it afterwards."
  type        = number

  validation {
    condition     = var.node_count >= 1 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number of at least 1."
  }
}

variable "cores_count" {
  description = "CPU cores per node."
  type        = number
  default     = 2

  validation {
    condition     = var.cores_count >= 1 && floor(var.cores_count) == var.cores_count
    error_message = "cores_count must be a whole number of at least 1."
  }
}

variable "ram_size" {
  description = "RAM per node in MB; IONOS wants a multiple of 1024 (8 GB = 8192)."
  type        = number

  validation {
    condition     = var.ram_size >= 2048 && var.ram_size % 1024 == 0
    error_message = "ram_size is in MB and must be a multiple of 1024 of at least 2048 (for example 8192 for 8 GB, 16384 for 16 GB)."
  }
}

variable "storage_type" {
  description = "Node disk type: HDD or SSD, the only two the node-pool API accepts."
  type        = string

  validation {
    condition     = contains(["HDD", "SSD"], var.storage_type)
    error_message = "storage_type must be HDD or SSD: the node-pool API accepts only these two (SSD Standard and SSD Premium are volume disk types)."
  }
}

variable "storage_size" {
  description = "Node disk size in GB."
  type        = number

  validation {
    condition     = var.storage_size > 10
    error_message = "storage_size is in GB and must be more than 10."
  }
}

variable "availability_zone" {
  description = "Availability zone of the nodes: AUTO, ZONE_1 or ZONE_2."
  type        = string
  default     = "AUTO"

  validation {
    condition     = contains(["AUTO", "ZONE_1", "ZONE_2"], var.availability_zone)
    error_message = "availability_zone must be AUTO, ZONE_1 or ZONE_2."
  }
}

variable "cpu_family" {
  description = "CPU family of the nodes (for example INTEL_SKYLAKE), or null for the location's default."
  type        = string
  default     = null
}

variable "server_type" {
  description = "Node server type: DedicatedCore or VCPU."
  type        = string
  default     = "DedicatedCore"

  validation {
    condition     = contains(["DedicatedCore", "VCPU"], var.server_type)
    error_message = "server_type must be DedicatedCore or VCPU (case-sensitive)."
  }
}

variable "autoscaling" {
  description = "Autoscaling bounds of the node pool, or null for a fixed size."
  type = object({
    min_node_count = number
    max_node_count = number
  })
  default = null

  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.min_node_count >= 1, false)
    error_message = "autoscaling.min_node_count must be at least 1."
  }
  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.min_node_count < var.autoscaling.max_node_count, false)
    error_message = "autoscaling.min_node_count must be less than autoscaling.max_node_count: IONOS refuses equal bounds (\"max_node_count cannot be equal to min_node_count\"); for a fixed size set autoscaling = null."
  }
}

variable "public_ips" {
  description = "Reserved public IPs for the nodes; empty lets IONOS assign them. When set, IONOS wants at least the maximum node count plus one."
  type        = list(string)
  default     = []
}

variable "lan_ids" {
  description = "IDs of private LANs to attach to the nodes."
  type        = list(number)
  default     = []
}

variable "labels" {
  description = "Kubernetes labels set on every node."
  type        = map(string)
  default     = {}
}

variable "annotations" {
  description = "Kubernetes annotations set on every node."
  type        = map(string)
  default     = {}
}
