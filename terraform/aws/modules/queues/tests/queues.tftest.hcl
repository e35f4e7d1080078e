mock_provider "aws" {
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:eu-central-1:123456789012:q"
      url = "https://sqs.eu-central-1.amazonaws.com/123456789012/q"
    }
  }
}

variables {
  prefix            = "ticketly-test"
  names             = ["ticket-events", "email-notifications"]
  max_receive_count = 5
}

run "every_queue_has_its_dlq" {
  command = apply

  assert {
    condition     = alltrue([for k, q in aws_sqs_queue.this : jsondecode(q.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq[k].arn && jsondecode(q.redrive_policy).maxReceiveCount == 5])
    error_message = "each queue must redrive to its own DLQ after max_receive_count receives"
  }
  assert {
    condition     = aws_sqs_queue.dlq["ticket-events"].name == "ticketly-test-ticket-events-dlq" && aws_sqs_queue.this["ticket-events"].name == "ticketly-test-ticket-events"
    error_message = "queue names are prefix-name and prefix-name-dlq"
  }
  assert {
    condition     = length(output.names) == 4 && alltrue([for q in aws_sqs_queue.this : q.sqs_managed_sse_enabled])
    error_message = "4 queues, all encrypted"
  }
}

run "receive_count_range" {
  command = plan

  variables {
    max_receive_count = 0
  }

  expect_failures = [var.max_receive_count]
}
