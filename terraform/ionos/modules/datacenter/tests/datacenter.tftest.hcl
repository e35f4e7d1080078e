mock_provider "ionoscloud" {
  mock_resource "ionoscloud_datacenter" {
    defaults = {
      id      = "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90"
      version = 3
    }
  }
}

variables {
  name        = "vigil-test"
  location    = "de/fra"
  description = "vigil test data center"
}

run "plans_the_data_center" {
  command = plan

  assert {
    condition     = ionoscloud_datacenter.this.name == "vigil-test"
    error_message = "data center name not passed through"
  }
  assert {
    condition     = ionoscloud_datacenter.this.location == "de/fra"
    error_message = "data center location not passed through"
  }
  assert {
    condition     = ionoscloud_datacenter.this.sec_auth_protection == false
    error_message = "sec_auth_protection should default to false"
  }
}

run "outputs_the_mocked_id" {
  command = apply

  assert {
    condition     = output.id == "8a1c2f37-5d2e-4c1b-9a7e-0f6c3d2b1a90"
    error_message = "id output does not come from the data center"
  }
  assert {
    condition     = output.name == "vigil-test" && output.location == "de/fra"
    error_message = "name/location outputs wrong"
  }
}

run "rejects_an_unknown_location" {
  command = plan

  variables {
    location = "de/muc"
  }

  expect_failures = [var.location]
}

run "rejects_an_empty_name" {
  command = plan

  variables {
    name = "  "
  }

  expect_failures = [var.name]
}
