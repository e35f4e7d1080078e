# EventBridge Scheduler schedules that send a message to a queue; the
# scheduler's role may send to exactly those queues.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "send" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = distinct([for s in values(var.schedules) : s.queue_arn])
  }
}

resource "aws_iam_role_policy" "send" {
  name   = "send-to-scheduled-queues"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.send.json
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
}

resource "aws_scheduler_schedule" "this" {
  for_each                     = var.schedules
  name                         = each.key
  group_name                   = aws_scheduler_schedule_group.this.name
  schedule_expression          = each.value.expression
  schedule_expression_timezone = each.value.timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = each.value.queue_arn
    role_arn = aws_iam_role.scheduler.arn
    input    = each.value.input
  }
}
