variable "bucket_name" {
  type = string
}

variable "public_read_prefix" {
  description = "Key prefix anyone may read (\"\" = none)."
  type        = string
}

variable "force_destroy" {
  description = "Let destroy delete a bucket that still holds objects (dev only)."
  type        = bool
  default     = false
}
