output "app_user" {
  value = aws_iam_user.app.name
}

output "vigil_user" {
  value = aws_iam_user.vigil.name
}

output "vigil_policy_arn" {
  value = aws_iam_policy.vigil.arn
}
