variables {
  environment       = "staging"
  registry_hostname = "vigil-staging.cr.de-fra.ionos.com"
  image_tag         = "v1.4.0"
  registry_username = "vigil-staging-pull"
  registry_password = "mock-password-not-a-secret"
}

run "derives_the_image_settings" {
  command = plan

  assert {
    condition     = output.image == "vigil-staging.cr.de-fra.ionos.com/vigil:v1.4.0"
    error_message = "image reference wrong"
  }
  assert {
    condition     = output.image_pull_policy == "IfNotPresent"
    error_message = "a fixed tag should be pulled IfNotPresent"
  }
  assert {
    condition     = output.namespace == "vigil" && output.image_pull_secret_name == "vigil-registry"
    error_message = "defaults wrong"
  }
  assert {
    condition     = output.config.environment == "staging" && output.config.registry_host == "vigil-staging.cr.de-fra.ionos.com"
    error_message = "config object wrong"
  }
  assert {
    condition     = jsondecode(output.docker_config_json).auths["vigil-staging.cr.de-fra.ionos.com"].auth == base64encode("vigil-staging-pull:mock-password-not-a-secret")
    error_message = "docker config auth wrong"
  }
}

run "latest_is_always_pulled_and_no_credentials_no_secret" {
  command = plan

  variables {
    image_tag         = "latest"
    registry_username = null
    registry_password = null
  }

  assert {
    condition     = output.image_pull_policy == "Always"
    error_message = "latest must be pulled Always"
  }
  assert {
    condition     = output.docker_config_json == null
    error_message = "no docker config without credentials"
  }
}

run "rejects_an_unknown_environment" {
  command = plan
  variables {
    environment = "prod"
  }
  expect_failures = [var.environment]
}

run "rejects_an_invalid_namespace" {
  command = plan
  variables {
    namespace = "Vigil_NS"
  }
  expect_failures = [var.namespace]
}

run "rejects_an_invalid_tag" {
  command = plan
  variables {
    image_tag = "-bad tag"
  }
  expect_failures = [var.image_tag]
}
