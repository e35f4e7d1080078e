mock_provider "aws" {
  mock_resource "aws_eip" {
    defaults = {
      public_ip = "198.51.100.7"
    }
  }
  mock_resource "aws_instance" {
    defaults = {
      private_ip = "10.0.0.10"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                        = "ticketly-test"
  vpc_id                      = "vpc-0123456789abcdef0"
  vpc_cidr                    = "10.0.0.0/16"
  public_subnet_ids           = ["subnet-pub-a", "subnet-pub-b", "subnet-pub-c"]
  private_subnet_ids          = ["subnet-priv-a", "subnet-priv-b", "subnet-priv-c"]
  admin_cidrs                 = ["203.0.113.0/24"]
  ssh_public_key              = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILWmcLnyUjnREe0m48kgllw8rbpSs+ckduVOUOOon8Aa vigil-test-only"
  ami_id                      = "ami-0123456789abcdef0"
  control_plane_instance_type = "t3.medium"
  worker_instance_type        = "t3.large"
  infra_instance_type         = "t3.xlarge"
  worker_count                = 4
  infra_private_ip            = "10.0.80.20"
  k3s_version                 = "v1.33.5+k3s1"
}

run "imdsv2_hop_limit_one_everywhere" {
  command = plan

  assert {
    condition = alltrue([for i in concat([aws_instance.control_plane, aws_instance.infra], aws_instance.worker) :
    i.metadata_options[0].http_tokens == "required" && i.metadata_options[0].http_put_response_hop_limit == 1])
    error_message = "every node must require IMDSv2 with a hop limit of 1 (pods must not reach the metadata service)"
  }
  assert {
    condition     = length(aws_instance.worker) == 4 && aws_instance.worker[3].subnet_id == "subnet-priv-a"
    error_message = "4 workers spread round-robin over the private subnets"
  }
  assert {
    condition     = aws_instance.infra.private_ip == "10.0.80.20" && aws_instance.infra.subnet_id == "subnet-priv-a"
    error_message = "the infra node has the fixed private IP in the first private subnet"
  }
  assert {
    condition     = alltrue([for i in concat([aws_instance.control_plane, aws_instance.infra], aws_instance.worker) : i.root_block_device[0].encrypted])
    error_message = "root volumes must be encrypted"
  }
  assert {
    condition     = aws_key_pair.this.public_key == var.ssh_public_key
    error_message = "the key pair is the given public key"
  }
}

run "join_token_is_generated_sensitive_and_shared" {
  command = apply

  assert {
    condition     = can(regex("token: \"[0-9a-f]{64}\"", aws_instance.control_plane.user_data))
    error_message = "the join token must be 64 hex characters"
  }
  assert {
    condition     = strcontains(aws_instance.control_plane.user_data, "token: \"${terraform_data.join_token.output}\"") && alltrue([for w in aws_instance.worker : strcontains(w.user_data, "token: \"${terraform_data.join_token.output}\"")])
    error_message = "server and agents must get the same token through user data"
  }
  assert {
    condition     = issensitive(aws_instance.worker[0].user_data)
    error_message = "user data carries the token: it must be sensitive, never printed in a plan"
  }
  assert {
    condition     = strcontains(aws_instance.control_plane.user_data, "- \"198.51.100.7\"") && strcontains(aws_instance.control_plane.user_data, "INSTALL_K3S_VERSION=\"v1.33.5+k3s1\"")
    error_message = "the server carries its public address in --tls-san and installs the pinned K3s"
  }
  assert {
    condition     = strcontains(aws_instance.worker[0].user_data, "server: \"https://10.0.0.10:6443\"")
    error_message = "agents join the server at its private address"
  }
  assert {
    condition     = output.control_plane_public_ip == "198.51.100.7"
    error_message = "the control plane's address is its Elastic IP"
  }
}

run "control_plane_only_from_admin_cidrs" {
  command = plan

  assert {
    condition     = toset([for r in aws_vpc_security_group_ingress_rule.admin : "${r.cidr_ipv4}:${r.from_port}"]) == toset(["203.0.113.0/24:22", "203.0.113.0/24:6443"])
    error_message = "SSH and the API must be open to admin_cidrs only"
  }
  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.infra : r.from_port == r.to_port])
    error_message = "the infra node opens single ports only"
  }
}

# The roles' own arguments (managed_policy_arns, inline_policy) in the
# applied state, and, as terraform test cannot list a plan's resources, the
# module's files for a resource that would attach or inline a policy. A
# policy attached from outside the module or by hand is out of this test's
# reach (README.md, "Drift", says how to watch for those).
run "instance_roles_have_no_policies" {
  command = apply

  assert {
    condition     = length(aws_iam_instance_profile.node) == 3 && alltrue([for k, p in aws_iam_instance_profile.node : p.role == aws_iam_role.node[k].name])
    error_message = "one instance profile per node kind, each with its own role"
  }
  assert {
    condition     = alltrue([for r in aws_iam_role.node : length(r.managed_policy_arns) == 0 && length(r.inline_policy) == 0 && r.permissions_boundary == null])
    error_message = "the node roles must carry no managed policy, no inline policy (and no boundary standing in for one)"
  }
  assert {
    condition     = length(aws_iam_role.node) == 3 && length(regexall("(?m)^\\s*resource\\s+\"aws_iam_(role_policy|role_policy_attachment|policy_attachment|role_policies_exclusive|role_policy_attachments_exclusive)\"", join("\n", [for f in fileset(".", "*.tf") : file(f)]))) == 0
    error_message = "the module must not attach or inline a policy to the node roles (no aws_iam_role_policy*, aws_iam_policy_attachment resources)"
  }
}

run "private_key_is_refused" {
  command = plan

  variables {
    ssh_public_key = "-----BEGIN OPENSSH PRIVATE KEY-----"
  }

  expect_failures = [var.ssh_public_key]
}
