variable "name" {
  type = string
}

variable "schedules" {
  description = "Schedule name => expression, target queue ARN, input, timezone."
  type = map(object({
    expression = string
    queue_arn  = string
    input      = string
    timezone   = string
  }))
}
