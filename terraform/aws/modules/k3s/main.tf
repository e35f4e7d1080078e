# One K3s control plane with a fixed public address, N agents in the private
# subnets, and the infrastructure node at its fixed private address.

resource "aws_key_pair" "this" {
  key_name   = var.name
  public_key = var.ssh_public_key
}

# The agents' join token. The hashicorp/random provider is not available
# here, so Terraform's own uuid() (122 random bits from crypto/rand, twice)
# makes it, once: ignore_changes keeps the first value. It is sensitive in
# state and in every plan, and never an output.
resource "terraform_data" "join_token" {
  input = sensitive("${replace(uuid(), "-", "")}${replace(uuid(), "-", "")}")

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  # sensitive() again: a computed attribute does not always carry its
  # input's mark, and the token must never reach a plan's output.
  token = sensitive(terraform_data.join_token.output)
  # IMDSv2 only, one hop: a pod (one hop further) cannot read the node
  # role's credentials or the join token in user data.
  metadata = {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
}

# A fixed public address, known before the server boots, so K3s can carry it
# in --tls-san and the kubeconfig's server stays valid across restarts.
resource "aws_eip" "control_plane" {
  domain = "vpc"
  tags   = { Name = "${var.name}-control-plane" }
}

resource "aws_instance" "control_plane" {
  ami                         = var.ami_id
  instance_type               = var.control_plane_instance_type
  subnet_id                   = var.public_subnet_ids[0]
  vpc_security_group_ids      = [aws_security_group.control_plane.id, aws_security_group.cluster.id]
  key_name                    = aws_key_pair.this.key_name
  iam_instance_profile        = aws_iam_instance_profile.node["control-plane"].name
  user_data_replace_on_change = false
  user_data = templatefile("${path.module}/server.yaml.tftpl", {
    token       = local.token
    public_ip   = aws_eip.control_plane.public_ip
    k3s_version = var.k3s_version
  })

  metadata_options {
    http_endpoint               = local.metadata.http_endpoint
    http_tokens                 = local.metadata.http_tokens
    http_put_response_hop_limit = local.metadata.http_put_response_hop_limit
  }

  root_block_device {
    encrypted   = true
    volume_size = 40
    volume_type = "gp3"
  }

  tags = { Name = "${var.name}-control-plane", Role = "k3s-server", Cluster = var.name }
}

resource "aws_eip_association" "control_plane" {
  allocation_id = aws_eip.control_plane.id
  instance_id   = aws_instance.control_plane.id
}

resource "aws_instance" "worker" {
  count                  = var.worker_count
  ami                    = var.ami_id
  instance_type          = var.worker_instance_type
  subnet_id              = var.private_subnet_ids[count.index % length(var.private_subnet_ids)]
  vpc_security_group_ids = [aws_security_group.worker.id, aws_security_group.cluster.id]
  key_name               = aws_key_pair.this.key_name
  iam_instance_profile   = aws_iam_instance_profile.node["worker"].name
  user_data = templatefile("${path.module}/agent.yaml.tftpl", {
    token       = local.token
    server_ip   = aws_instance.control_plane.private_ip
    k3s_version = var.k3s_version
  })

  metadata_options {
    http_endpoint               = local.metadata.http_endpoint
    http_tokens                 = local.metadata.http_tokens
    http_put_response_hop_limit = local.metadata.http_put_response_hop_limit
  }

  root_block_device {
    encrypted   = true
    volume_size = 60
    volume_type = "gp3"
  }

  tags = { Name = "${var.name}-worker-${count.index + 1}", Role = "k3s-agent", Cluster = var.name }
}

resource "aws_instance" "infra" {
  ami                    = var.ami_id
  instance_type          = var.infra_instance_type
  subnet_id              = var.private_subnet_ids[0]
  private_ip             = var.infra_private_ip
  vpc_security_group_ids = [aws_security_group.infra.id]
  key_name               = aws_key_pair.this.key_name
  iam_instance_profile   = aws_iam_instance_profile.node["infra"].name
  user_data              = file("${path.module}/infra.yaml.tftpl")

  metadata_options {
    http_endpoint               = local.metadata.http_endpoint
    http_tokens                 = local.metadata.http_tokens
    http_put_response_hop_limit = local.metadata.http_put_response_hop_limit
  }

  root_block_device {
    encrypted   = true
    volume_size = 100
    volume_type = "gp3"
  }

  tags = { Name = "${var.name}-infra", Role = "infra", Cluster = var.name }
}
