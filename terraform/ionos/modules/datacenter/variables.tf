variable "name" {
  description = "Name of the virtual data center."
  type        = string

  validation {
    condition     = length(trimspace(var.name)) > 0
    error_message = "The data center name must not be empty."
  }
}

variable "location" {
  description = "IONOS location of the data center, for example de/fra. The provider does not check it; an unknown location only fails at apply time, so it is checked here."
  type        = string

  validation {
    condition     = contains(["de/fra", "de/fra/2", "de/txl", "us/las", "us/ewr", "us/mci", "gb/lhr", "gb/bhx", "es/vit", "fr/par"], var.location)
    error_message = "Unknown IONOS location. Use one of: de/fra, de/fra/2, de/txl, us/las, us/ewr, us/mci, gb/lhr, gb/bhx, es/vit, fr/par."
  }
}

variable "description" {
  description = "Free-text description of the data center."
  type        = string
  default     = ""
}

variable "sec_auth_protection" {
  description = "Require two-factor authentication for changes to the data center."
  type        = bool
  default     = false
}
