mock_provider "ionoscloud" {
  mock_resource "ionoscloud_container_registry" {
    defaults = {
      id       = "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
      hostname = "vigil-test.cr.de-fra.ionos.com"
    }
  }
  mock_resource "ionoscloud_container_registry_token" {
    defaults = {
      id          = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
      credentials = [{ username = "vigil-test-pull", password = "mock-password-not-a-secret" }]
    }
  }
  # Registry locations as the API might list them: not every data-center
  # location (here de/fra/2 and gb/bhx) hosts a registry.
  mock_data "ionoscloud_container_registry_locations" {
    defaults = {
      locations = ["de/fra", "de/txl", "es/vit", "fr/par", "gb/lhr", "us/ewr", "us/las", "us/mci"]
    }
  }
}

variables {
  name              = "vigil-test"
  location          = "de/fra"
  token_name        = "vigil-test-pull"
  token_expiry_date = "2027-06-30 00:00:00Z"
}

run "registry_with_gc_schedule_and_token" {
  command = plan

  assert {
    condition     = ionoscloud_container_registry.this.name == "vigil-test" && ionoscloud_container_registry.this.location == "de/fra"
    error_message = "registry name or location wrong"
  }
  assert {
    condition     = ionoscloud_container_registry.this.garbage_collection_schedule[0].days == tolist(["Saturday"]) && ionoscloud_container_registry.this.garbage_collection_schedule[0].time == "02:00:00+00:00"
    error_message = "garbage-collection schedule should default to Saturday 02:00:00+00:00"
  }
  assert {
    condition     = ionoscloud_container_registry.this.features[0].vulnerability_scanning == false
    error_message = "vulnerability scanning must be set explicitly (false by default), or IONOS enables the paid feature"
  }
  assert {
    condition     = ionoscloud_container_registry_token.pull.expiry_date == "2027-06-30 00:00:00Z" && ionoscloud_container_registry_token.pull.status == "enabled"
    error_message = "token expiry or status wrong"
  }
  assert {
    condition     = ionoscloud_container_registry_token.pull.scopes[0].actions == tolist(["pull"]) && ionoscloud_container_registry_token.pull.scopes[0].type == "repository"
    error_message = "token should be pull-only by default"
  }
}

run "outputs_after_apply" {
  command = apply

  variables {
    vulnerability_scanning = true
  }

  assert {
    condition     = ionoscloud_container_registry.this.features[0].vulnerability_scanning == true
    error_message = "vulnerability scanning should be on when asked"
  }
  assert {
    condition     = output.hostname == "vigil-test.cr.de-fra.ionos.com" && output.id == "3f6a1e2d-7b8c-4d9e-a0f1-b2c3d4e5f6a7"
    error_message = "registry outputs wrong"
  }
  assert {
    condition     = ionoscloud_container_registry_token.pull.registry_id == output.id
    error_message = "token must belong to the registry"
  }
  assert {
    condition     = output.token_username == "vigil-test-pull" && output.token_password == "mock-password-not-a-secret"
    error_message = "token credential outputs wrong"
  }
}

run "token_without_expiry" {
  command = plan

  variables {
    token_expiry_date = null
  }

  assert {
    condition     = ionoscloud_container_registry_token.pull.expiry_date == null
    error_message = "a null expiry means a token that never expires"
  }
}

run "rejects_gc_time_without_timezone_offset" {
  command = plan
  variables {
    garbage_collection_schedule = { days = ["Sunday"], time = "02:00:00" }
  }
  expect_failures = [var.garbage_collection_schedule]
}

run "rejects_gc_unknown_day" {
  command = plan
  variables {
    garbage_collection_schedule = { days = ["Sun"], time = "02:00:00+00:00" }
  }
  expect_failures = [var.garbage_collection_schedule]
}

run "rejects_an_unknown_location" {
  command = plan
  variables {
    location = "de/ber"
  }
  expect_failures = [var.location]
}

run "rejects_an_invalid_name" {
  command = plan
  variables {
    name = "Vigil_Registry"
  }
  expect_failures = [var.name]
}

run "rejects_a_badly_written_expiry_date" {
  command = plan
  variables {
    token_expiry_date = "2027-06-30T00:00:00Z"
  }
  expect_failures = [var.token_expiry_date]
}

run "rejects_an_unknown_token_action" {
  command = plan
  variables {
    token_scopes = [{ name = "*", type = "repository", actions = ["read"] }]
  }
  expect_failures = [var.token_scopes]
}

run "rejects_gc_time_in_z_form" {
  command = plan
  variables {
    garbage_collection_schedule = { days = ["Sunday"], time = "02:00:00Z" }
  }
  expect_failures = [var.garbage_collection_schedule]
}

run "rejects_gc_time_with_another_offset" {
  command = plan
  variables {
    garbage_collection_schedule = { days = ["Sunday"], time = "04:00:00+02:00" }
  }
  expect_failures = [var.garbage_collection_schedule]
}

run "rejects_a_location_without_a_registry" {
  command = plan
  variables {
    location = "gb/bhx"
  }
  expect_failures = [ionoscloud_container_registry.this]
}
