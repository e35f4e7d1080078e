# Instance profiles with no permissions at all: nothing on the nodes calls an
# AWS API (K3s runs without a cloud provider; applications get their own keys
# through a Secret, see modules/access). A role of its own per node kind lets
# one be granted something later without widening the others.

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  for_each           = toset(["control-plane", "worker", "infra"])
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_instance_profile" "node" {
  for_each = aws_iam_role.node
  name     = each.value.name
  role     = each.value.name
}
