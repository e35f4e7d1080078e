# Two IAM users whose access keys are made outside Terraform (so no secret
# key is ever in state) and handed to Kubernetes as Secrets:
# - the applications' user: read and write the assets bucket, use the queues;
# - Vigil's user: the AWS collectors' read-only policy. K3s on EC2 has no
#   IRSA, and the node roles have no permissions (IMDSv2 with a hop limit of
#   1 keeps pods from them anyway), so Vigil gets keys of its own.

resource "aws_iam_user" "app" {
  name = "${var.name}-app"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid       = "AssetsObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/*"]
  }
  statement {
    sid       = "AssetsList"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }
  # IAM refuses a statement without resources (MalformedPolicyDocument): a
  # stack without queues gets no queue statement.
  dynamic "statement" {
    for_each = length(var.queue_arns) > 0 ? [var.queue_arns] : []
    content {
      sid = "Queues"
      actions = [
        "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
      ]
      resources = statement.value
    }
  }
}

resource "aws_iam_user_policy" "app" {
  name   = "assets-and-queues"
  user   = aws_iam_user.app.name
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_user" "vigil" {
  name = "${var.name}-vigil-readonly"
}

resource "aws_iam_policy" "vigil" {
  name        = "${var.name}-vigil-readonly"
  description = "Read-only calls of Vigil's AWS collectors"
  policy      = var.vigil_policy_json
}

resource "aws_iam_user_policy_attachment" "vigil" {
  user       = aws_iam_user.vigil.name
  policy_arn = aws_iam_policy.vigil.arn
}
