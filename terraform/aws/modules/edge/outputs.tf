output "alb_dns_name" {
  value = aws_lb.this.dns_name
}

output "alb_arn" {
  value = aws_lb.this.arn
}

output "target_group_arn" {
  value = aws_lb_target_group.ingress.arn
}

output "web_acl_arn" {
  value = aws_wafv2_web_acl.this.arn
}
