variable "datacenter_id" {
  description = "UUID of the data center the volumes live in."
  type        = string
}

variable "node_storage_type" {
  description = "Disk type of the Kubernetes nodes: HDD (cheap, slow) or SSD, the only two the node-pool API accepts (SSD Standard and SSD Premium are for volumes only)."
  type        = string
  default     = "SSD"

  validation {
    condition     = contains(["HDD", "SSD"], var.node_storage_type)
    error_message = "node_storage_type must be HDD or SSD: the node-pool API accepts only these two (SSD Standard and SSD Premium are volume disk types)."
  }
}

variable "node_storage_size" {
  description = "Disk size of each Kubernetes node in GB."
  type        = number
  default     = 100

  validation {
    condition     = var.node_storage_size > 10 && floor(var.node_storage_size) == var.node_storage_size
    error_message = "node_storage_size is in GB and must be a whole number above 10."
  }
}

variable "server_id" {
  description = "UUID of the server the extra volumes attach to (IONOS volumes always belong to a server). Required when volumes is not empty."
  type        = string
  default     = null
}

variable "volumes" {
  description = "Extra block volumes by key: size in GB, disk_type (HDD, SSD, SSD Standard or SSD Premium), an optional name and licence_type (OTHER for data disks). Kubernetes persistent volumes do not belong here: the cluster's CSI driver creates those."
  type = map(object({
    size         = number
    disk_type    = optional(string, "SSD")
    name         = optional(string)
    licence_type = optional(string, "OTHER")
  }))
  default = {}

  validation {
    condition     = alltrue([for v in values(var.volumes) : v.size >= 1 && contains(["HDD", "SSD", "SSD Standard", "SSD Premium"], v.disk_type)])
    error_message = "Every volume needs a size of at least 1 GB and a disk_type of HDD, SSD, SSD Standard or SSD Premium."
  }
}
