variable "prefix" {
  description = "Prefix of every queue name."
  type        = string
}

variable "names" {
  type = list(string)
}

variable "max_receive_count" {
  type = number

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "queue_max_receive_count must be 1 to 1000, got ${var.max_receive_count}."
  }
}
