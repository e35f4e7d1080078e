variable "name" {
  type = string
}

variable "bucket_arn" {
  type = string
}

variable "queue_arns" {
  description = "Queues (and dead-letter queues) the applications use."
  type        = list(string)
}

variable "vigil_policy_json" {
  description = "Vigil's read-only policy (the AWS collectors' calls)."
  type        = string

  validation {
    condition     = can(jsondecode(var.vigil_policy_json).Statement)
    error_message = "vigil_readonly_policy_file is not an IAM policy document (JSON with a Statement)."
  }
  # Read-only: Describe*, List* and Get* calls named in full, and the one
  # read action of AWS Budgets, whose name says neither (budgets:ViewBudget
  # lets the billing collector call DescribeBudgets and
  # DescribeNotificationsForBudget).
  validation {
    condition = alltrue(flatten([
      for s in jsondecode(var.vigil_policy_json).Statement : [
        for a in flatten([s.Action]) : (can(regex("^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$", a)) || a == "budgets:ViewBudget") && !strcontains(a, "*")
      ]
    ]))
    error_message = "Vigil's policy must be read-only: every action a Describe*, List* or Get* call named in full (no wildcards), or budgets:ViewBudget."
  }
}
