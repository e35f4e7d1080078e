mock_provider "aws" {
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/ticketly-test-ingress/0123456789abcdef"
    }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/ticketly-test/0123456789abcdef"
      dns_name = "ticketly-test-1.eu-central-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_wafv2_web_acl" {
    defaults = {
      arn = "arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/ticketly-test/0000"
    }
  }
}

variables {
  name                     = "ticketly-test"
  vpc_id                   = "vpc-0123456789abcdef0"
  public_subnet_ids        = ["subnet-a", "subnet-b", "subnet-c"]
  certificate_arn          = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
  target_instance_ids      = ["i-1", "i-2", "i-3", "i-4"]
  target_count             = 4
  worker_security_group_id = "sg-workers"
  upload_path_prefix       = "/api/uploads/"
  max_body_bytes           = 8192
}

run "https_listener_and_redirect" {
  command = plan

  assert {
    condition     = aws_lb_listener.https.protocol == "HTTPS" && aws_lb_listener.https.port == 443 && aws_lb_listener.https.certificate_arn == var.certificate_arn
    error_message = "HTTPS on 443 with the given certificate"
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS" && aws_lb_listener.http.default_action[0].redirect[0].status_code == "HTTP_301"
    error_message = "HTTP must redirect to HTTPS"
  }
  assert {
    condition     = length(aws_lb_target_group_attachment.ingress) == 4 && aws_lb_target_group.ingress.port == 80
    error_message = "every worker is a target of the ingress target group"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.workers_from_alb.security_group_id == "sg-workers" && aws_vpc_security_group_ingress_rule.workers_from_alb.from_port == 80
    error_message = "the workers accept port 80 from the ALB"
  }
}

run "waf_managed_rules_size_exception_and_association" {
  command = apply

  assert {
    condition     = toset([for r in aws_wafv2_web_acl.this.rule : r.name]) == toset(["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet", "body-size-outside-uploads"])
    error_message = "the managed rule groups and the size rule"
  }
  assert {
    condition = one(flatten([for r in aws_wafv2_web_acl.this.rule : [
      for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : o.name if length(o.action_to_use[0].count) == 1
    ] if r.name == "AWSManagedRulesCommonRuleSet"])) == "SizeRestrictions_BODY"
    error_message = "the common rule set's body size rule must only count (large multipart uploads)"
  }
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule :
      r.statement[0].and_statement[0].statement[1].not_statement[0].statement[0].byte_match_statement[0].search_string
    if r.name == "body-size-outside-uploads"]) == "/api/uploads/"
    error_message = "large bodies are blocked everywhere but under the upload prefix"
  }
  # Without the transformations /api/uploads/../orders (or its encoded
  # form, /api/uploads/%2e%2e/orders) starts with the prefix and gets the
  # exception; URL_DECODE first, then NORMALIZE_PATH, reduce it to
  # /api/orders before the match.
  assert {
    condition = one([for r in aws_wafv2_web_acl.this.rule : toset([
      for t in r.statement[0].and_statement[0].statement[1].not_statement[0].statement[0].byte_match_statement[0].text_transformation : "${t.priority}:${t.type}"
    ]) if r.name == "body-size-outside-uploads"]) == toset(["0:URL_DECODE", "1:NORMALIZE_PATH"])
    error_message = "the upload prefix must be matched on the URL-decoded, then normalized path (priority 0 URL_DECODE, 1 NORMALIZE_PATH)"
  }
  assert {
    condition     = aws_wafv2_web_acl_association.alb.resource_arn == aws_lb.this.arn && aws_wafv2_web_acl_association.alb.web_acl_arn == aws_wafv2_web_acl.this.arn
    error_message = "the web ACL must be associated with the ALB"
  }
}

# Without the closing / the exception covers /api/uploadsX too.
run "upload_prefix_without_trailing_slash_refused" {
  command = plan

  variables {
    upload_path_prefix = "/api/uploads"
  }

  expect_failures = [var.upload_path_prefix]
}
