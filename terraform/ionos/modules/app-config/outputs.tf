output "registry_host" {
  description = "Registry host name images are pulled from."
  value       = var.registry_hostname
}

output "namespace" {
  description = "Kubernetes namespace of the deployment."
  value       = var.namespace
}

output "image_repository" {
  description = "Image repository without tag."
  value       = local.image_repository
}

output "image" {
  description = "Full image reference to deploy."
  value       = "${local.image_repository}:${var.image_tag}"
}

output "image_pull_policy" {
  description = "imagePullPolicy for the Vigil container."
  value       = local.image_pull_policy
}

output "image_pull_secret_name" {
  description = "Name of the image pull Secret the deployment refers to."
  value       = var.image_pull_secret_name
}

output "config" {
  description = "Everything above in one object, for `terraform output -json app_config`."
  value = {
    environment            = var.environment
    namespace              = var.namespace
    registry_host          = var.registry_hostname
    image_repository       = local.image_repository
    image                  = "${local.image_repository}:${var.image_tag}"
    image_tag              = var.image_tag
    image_pull_policy      = local.image_pull_policy
    image_pull_secret_name = var.image_pull_secret_name
  }
}

output "docker_config_json" {
  description = "Content of the image pull Secret's .dockerconfigjson key, or null without token credentials."
  sensitive   = true
  value = local.has_credentials ? jsonencode({
    auths = {
      (var.registry_hostname) = {
        username = var.registry_username
        password = var.registry_password
        auth     = base64encode("${var.registry_username}:${var.registry_password}")
      }
    }
  }) : null
}
