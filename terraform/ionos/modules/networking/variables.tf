variable "datacenter_id" {
  description = "UUID of the data center the LAN belongs to."
  type        = string
}

variable "location" {
  description = "IONOS location for the IP block; it must be the data center's location."
  type        = string
}

variable "lan_name" {
  description = "Name of the LAN."
  type        = string
}

variable "lan_public" {
  description = "Whether the LAN is public (connected to the internet). Managed Kubernetes node pools attach only private LANs; a public LAN is not attached to the node pool."
  type        = bool
  default     = false
}

variable "public_ip_count" {
  description = "Number of public IPs to reserve for the node pool (0 for none). IONOS wants at least the maximum node count plus one."
  type        = number
  default     = 0

  validation {
    condition     = var.public_ip_count >= 0 && floor(var.public_ip_count) == var.public_ip_count
    error_message = "public_ip_count must be a whole number, 0 or more."
  }
}

variable "ip_block_name" {
  description = "Name of the IP block that holds the node pool's public IPs."
  type        = string
}
