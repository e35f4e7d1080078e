mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name = "ticketly-test"
  schedules = {
    release = {
      expression = "rate(5 minutes)"
      queue_arn  = "arn:aws:sqs:eu-central-1:123456789012:ticketly-test-ticket-events"
      input      = "{\"type\":\"release\"}"
      timezone   = "UTC"
    }
  }
}

run "schedule_sends_to_its_queue_only" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.this["release"].target[0].arn == var.schedules.release.queue_arn && aws_scheduler_schedule.this["release"].schedule_expression == "rate(5 minutes)"
    error_message = "the schedule targets its queue"
  }
  assert {
    condition     = data.aws_iam_policy_document.send.statement[0].resources == toset([var.schedules.release.queue_arn]) && data.aws_iam_policy_document.send.statement[0].actions == toset(["sqs:SendMessage"])
    error_message = "the scheduler's role may only send to the scheduled queues"
  }
}
