variable "name" {
  description = "Name of the container registry: 3 to 63 lowercase letters, digits or hyphens, starting with a letter. It becomes part of the registry host name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{1,61}[a-z0-9]$", var.name))
    error_message = "Registry name must start with a lowercase letter, contain only lowercase letters, digits or hyphens, end with a letter or digit, and be 3 to 63 characters long."
  }
}

variable "location" {
  description = "IONOS location of the registry, for example de/fra. This check catches names that are no IONOS location at all; a precondition then checks it against the locations that host a registry (data source ionoscloud_container_registry_locations), which not every data-center location does."
  type        = string

  validation {
    condition     = contains(["de/fra", "de/fra/2", "de/txl", "us/las", "us/ewr", "us/mci", "gb/lhr", "gb/bhx", "es/vit", "fr/par"], var.location)
    error_message = "Unknown container registry location. Use one of: de/fra, de/fra/2, de/txl, us/las, us/ewr, us/mci, gb/lhr, gb/bhx, es/vit, fr/par."
  }
}

variable "garbage_collection_schedule" {
  description = "When the registry deletes unreferenced layers: days (Monday to Sunday) and a UTC time written hh:mm:ss+00:00, the form the API returns (a Z or another offset would show as a change on every plan)."
  type = object({
    days = list(string)
    time = string
  })
  default = {
    days = ["Saturday"]
    time = "02:00:00+00:00"
  }

  validation {
    condition     = length(var.garbage_collection_schedule.days) > 0 && alltrue([for d in var.garbage_collection_schedule.days : contains(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], d)])
    error_message = "garbage_collection_schedule.days must list at least one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday."
  }
  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\+00:00$", var.garbage_collection_schedule.time))
    error_message = "garbage_collection_schedule.time must be a UTC time written hh:mm:ss+00:00, for example 02:00:00+00:00: the API returns it in that form, so a Z, another offset or no offset would show as a change on every plan."
  }
}

variable "vulnerability_scanning" {
  description = "Enable vulnerability scanning (a paid feature that cannot be turned off once enabled; IONOS enables it when this is left unset, so it is always set explicitly here)."
  type        = bool
  default     = false
}

variable "api_subnet_allow_list" {
  description = "CIDRs allowed to reach the registry. Empty means unrestricted."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.api_subnet_allow_list : can(cidrhost(c, 0))])
    error_message = "Every registry api_subnet_allow_list entry must be a CIDR such as 203.0.113.7/32."
  }
}

variable "token_name" {
  description = "Name of the registry token the cluster pulls images with."
  type        = string

  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{1,61}[a-z0-9]$", var.token_name))
    error_message = "Token name must start with a lowercase letter, contain only lowercase letters, digits or hyphens, and be 3 to 63 characters long."
  }
}

variable "token_expiry_date" {
  description = "When the token expires, as \"YYYY-MM-DD hh:mm:ssZ\" (UTC), for example \"2027-06-30 00:00:00Z\"; null for a token that never expires. Rotate it before then: Vigil's expiry collector (expiry.ionos.registry_tokens) tickets 30 days and pages 3 days ahead."
  type        = string
  default     = null

  validation {
    condition     = var.token_expiry_date == null || can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}Z$", var.token_expiry_date))
    error_message = "token_expiry_date must be written \"YYYY-MM-DD hh:mm:ssZ\", for example \"2027-06-30 00:00:00Z\"."
  }
}

variable "token_scopes" {
  description = "What the token may do: repository name or pattern, and the actions (pull, push, delete)."
  type = list(object({
    name    = string
    type    = string
    actions = list(string)
  }))
  default = [{
    name    = "*"
    type    = "repository"
    actions = ["pull"]
  }]

  validation {
    condition     = alltrue([for s in var.token_scopes : length(s.actions) > 0 && alltrue([for a in s.actions : contains(["pull", "push", "delete"], a)])])
    error_message = "Every token scope needs at least one action, each one of pull, push, delete."
  }
}
