# Security groups: the control plane is reached from admin_cidrs only, the
# nodes reach each other on K3s's ports only, and the infrastructure node
# serves its Docker services to the cluster's nodes only.

resource "aws_security_group" "control_plane" {
  name        = "${var.name}-control-plane"
  description = "K3s server: SSH and the Kubernetes API from admin_cidrs"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-control-plane" }
}

resource "aws_vpc_security_group_ingress_rule" "admin" {
  for_each          = { for p in setproduct(var.admin_cidrs, [22, 6443]) : "${p[0]}-${p[1]}" => { cidr = p[0], port = p[1] } }
  security_group_id = aws_security_group.control_plane.id
  cidr_ipv4         = each.value.cidr
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  description       = each.value.port == 22 ? "SSH from an admin address" : "Kubernetes API from an admin address"
}

# Membership group of every K3s node: API, kubelet and flannel VXLAN between
# members only.
resource "aws_security_group" "cluster" {
  name        = "${var.name}-cluster"
  description = "K3s nodes: API, kubelet and flannel between members"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-cluster" }
}

resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = {
    api     = { protocol = "tcp", port = 6443 }
    kubelet = { protocol = "tcp", port = 10250 }
    flannel = { protocol = "udp", port = 8472 }
  }
  security_group_id            = aws_security_group.cluster.id
  referenced_security_group_id = aws_security_group.cluster.id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.port
  to_port                      = each.value.port
  description                  = "K3s ${each.key} between nodes"
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "K3s agents; the ALB's ingress rule and RDS reference this group"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-worker" }
}

resource "aws_security_group" "infra" {
  name        = "${var.name}-infra"
  description = "Infrastructure node: Kafka, Redis, MongoDB, Debezium for the cluster's nodes"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-infra" }
}

resource "aws_vpc_security_group_ingress_rule" "infra" {
  for_each = {
    kafka    = 9092
    redis    = 6379
    mongodb  = 27017
    debezium = 8083
  }
  security_group_id            = aws_security_group.infra.id
  referenced_security_group_id = aws_security_group.cluster.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  description                  = "${each.key} from the K3s nodes"
}

resource "aws_vpc_security_group_ingress_rule" "infra_ssh" {
  security_group_id            = aws_security_group.infra.id
  referenced_security_group_id = aws_security_group.control_plane.id
  ip_protocol                  = "tcp"
  from_port                    = 22
  to_port                      = 22
  description                  = "SSH through the control plane (jump host)"
}

# Nodes reach the internet (through the NAT gateway or the internet gateway)
# for K3s, images and AWS APIs.
resource "aws_vpc_security_group_egress_rule" "all" {
  for_each = {
    control_plane = aws_security_group.control_plane.id
    worker        = aws_security_group.worker.id
    infra         = aws_security_group.infra.id
  }
  security_group_id = each.value
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "Outbound"
}
