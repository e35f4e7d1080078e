variable "name" {
  description = "Name prefix of the network's resources."
  type        = string
}

variable "vpc_cidr" {
  type = string
}

variable "availability_zones" {
  type = list(string)
}

variable "public_subnet_cidrs" {
  type = list(string)

  validation {
    condition     = length(var.public_subnet_cidrs) == length(var.availability_zones)
    error_message = "public_subnet_cidrs has ${length(var.public_subnet_cidrs)} entries for ${length(var.availability_zones)} availability zones: give one per zone."
  }
}

variable "private_subnet_cidrs" {
  type = list(string)

  validation {
    condition     = length(var.private_subnet_cidrs) == length(var.availability_zones)
    error_message = "private_subnet_cidrs has ${length(var.private_subnet_cidrs)} entries for ${length(var.availability_zones)} availability zones: give one per zone."
  }
}
