# Every queue has its own dead-letter queue, so a poison message stops being
# retried after max_receive_count receives and waits there to be inspected.

resource "aws_sqs_queue" "dlq" {
  for_each                  = toset(var.names)
  name                      = "${var.prefix}-${each.key}-dlq"
  message_retention_seconds = 1209600 # 14 days, SQS's maximum
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "this" {
  for_each                   = toset(var.names)
  name                       = "${var.prefix}-${each.key}"
  visibility_timeout_seconds = 60
  message_retention_seconds  = 345600 # 4 days
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.max_receive_count
  })
}
