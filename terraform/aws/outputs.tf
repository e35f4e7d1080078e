# What the guide saves after an apply, and what `provision check`,
# `provision kubeconfig` and Vigil's configuration read. None is a secret:
# the join token, the database password (Secrets Manager) and access keys
# are never outputs.

output "stack" {
  description = "Which stack this is, for people and scripts reading the outputs (provision takes the stack from --stack, PROVISION_STACK or the providers of --dir)."
  value       = "aws"
}

output "environment" {
  value = var.environment
}

output "region" {
  value = var.region
}

output "bucket_name" {
  value = module.assets.bucket
}

output "assets_public_url_prefix" {
  value = module.assets.public_url_prefix
}

output "queue_urls" {
  description = "Queue URL by name (dead-letter queues in dlq_urls)."
  value       = module.queues.urls
}

output "dlq_urls" {
  value = module.queues.dlq_urls
}

output "queue_names" {
  description = "Every queue, dead-letter queues included (Vigil's SQS collector)."
  value       = module.queues.names
}

output "ssh_user" {
  value = var.platform ? "ubuntu" : null
}

output "control_plane_public_ip" {
  value = try(module.k3s[0].control_plane_public_ip, null)
}

output "ssh_command" {
  description = "SSH to the control plane with the private key of ssh_public_key_file."
  value       = try("ssh -i <private key of ${var.ssh_public_key_file}> ubuntu@${module.k3s[0].control_plane_public_ip}", null)
}

output "k8s_api_url" {
  description = "The K3s API from outside (admin_cidrs only)."
  value       = try("https://${module.k3s[0].control_plane_public_ip}:6443", null)
}

output "control_plane_instance_id" {
  value = try(module.k3s[0].control_plane_instance_id, null)
}

output "worker_instance_ids" {
  value = try(module.k3s[0].worker_instance_ids, [])
}

output "infra_instance_id" {
  value = try(module.k3s[0].infra_instance_id, null)
}

output "infra_private_ip" {
  value = try(module.k3s[0].infra_private_ip, null)
}

output "alb_dns_name" {
  value = try(module.edge[0].alb_dns_name, null)
}

output "app_hostname" {
  value = var.app_hostname
}

output "alb_arn" {
  value = try(module.edge[0].alb_arn, null)
}

output "target_group_arns" {
  value = [for e in module.edge : e.target_group_arn]
}

output "web_acl_arn" {
  value = try(module.edge[0].web_acl_arn, null)
}

output "rds_endpoint" {
  value = try(module.database[0].endpoint, null)
}

output "rds_identifier" {
  value = try(module.database[0].identifier, null)
}

output "rds_master_user_secret_arn" {
  description = "Secrets Manager secret with the database password."
  value       = try(module.database[0].master_user_secret_arn, null)
}

output "schedule_arns" {
  value = try(module.schedules[0].schedule_arns, {})
}

output "app_iam_user" {
  value = module.access.app_user
}

output "vigil_iam_user" {
  value = module.access.vigil_user
}

# The key goes from the AWS CLI to the Secret through a file in /dev/shm
# (memory, mode 0600), never through a command line, where any local user
# could read it in /proc/PID/cmdline while kubectl runs.
output "vigil_credentials_secret_command" {
  description = "How to give Vigil its read-only keys: a Secret its Deployment references (no key is ever in Terraform's state)."
  value       = <<-EOT
    (umask 077
    aws iam create-access-key --user-name ${module.access.vigil_user} --output json |
      jq -r '"AWS_ACCESS_KEY_ID=\(.AccessKey.AccessKeyId)\nAWS_SECRET_ACCESS_KEY=\(.AccessKey.SecretAccessKey)"' > /dev/shm/vigil-aws.env
    kubectl -n vigil create secret generic vigil-aws --from-env-file=/dev/shm/vigil-aws.env
    shred -u /dev/shm/vigil-aws.env)
    # then: the chart with awsCredentials.existingSecret=vigil-aws, or deploy/'s
    # vigil container with envFrom: [{secretRef: {name: vigil-aws}}]
  EOT
}

output "vigil_config" {
  description = "The aws: and infra: sections of Vigil's config for this stack (the K3s nodes, the ingress target group, the ALB's WAF, the queues, RDS and the schedules)."
  # Two documents rather than one conditional object: the platform's
  # selection has attributes dev does not.
  value = var.platform ? yamlencode({
    aws = local.vigil_aws
    infra = { aws = { accounts = [merge(local.vigil_infra_base, {
      instance_tags          = { Cluster = local.name }
      target_group_arns      = [for e in module.edge : e.target_group_arn]
      waf_load_balancer_arns = [for e in module.edge : e.alb_arn]
      rds                    = { instances = [for d in module.database : d.identifier] }
      schedules              = true
    })] } }
    }) : yamlencode({
    aws   = local.vigil_aws
    infra = { aws = { accounts = [local.vigil_infra_base] } }
  })
}

locals {
  vigil_aws = { accounts = [{ name = var.environment, region = var.region }] }
  vigil_infra_base = {
    account = var.environment
    region  = var.region
    sqs     = { queues = [for k in var.queues : "${local.name}-${k}"] }
  }
}
