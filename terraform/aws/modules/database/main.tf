# PostgreSQL for the applications, with logical replication on for Debezium's
# change data capture, automated backups, and reachable from the workers and
# (for Debezium) the infra node only.

locals {
  major = split(".", var.engine_version)[0]
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

# The description predates the Debezium rule below; changing it would
# replace the group, which the running instance is a member of.
resource "aws_security_group" "this" {
  name        = "${var.name}-rds"
  description = "PostgreSQL from the K3s workers only"
  vpc_id      = var.vpc_id
  tags        = { Name = "${var.name}-rds" }
}

resource "aws_vpc_security_group_ingress_rule" "workers" {
  security_group_id            = aws_security_group.this.id
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from the K3s workers"
}

# The issue asked for "workers only", but Debezium runs on the infra node
# (Docker, 10.0.80.20), outside the workers' group, and reads PostgreSQL's
# WAL through logical replication (the parameter group below turns it on for
# Debezium): without this rule it cannot connect. 5432 only, from the infra
# node's group only.
resource "aws_vpc_security_group_ingress_rule" "debezium" {
  security_group_id            = aws_security_group.this.id
  referenced_security_group_id = var.infra_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "PostgreSQL from Debezium on the infra node"
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-postgres${local.major}"
  family      = "postgres${local.major}"
  description = "Logical replication for Debezium"

  parameter {
    name         = "rds.logical_replication"
    value        = "1"
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "max_replication_slots"
    value        = "10"
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "max_wal_senders"
    value        = "10"
    apply_method = "pending-reboot"
  }
}

# engine_version is the major alone (e.g. 16) while auto_minor_version_upgrade
# moves the minor: the provider keeps a configured version that is a prefix
# of the running one, so 16 stays 16 at 16.6 (see variables.tf).
resource "aws_db_instance" "this" {
  identifier                 = var.name
  engine                     = "postgres"
  engine_version             = var.engine_version
  auto_minor_version_upgrade = var.auto_minor_version_upgrade
  instance_class             = var.instance_class
  db_name                    = "ticketly"
  username                   = "ticketly"
  # RDS keeps the password in Secrets Manager: it is never in Terraform's
  # state, plan or outputs.
  manage_master_user_password = true

  allocated_storage      = var.allocated_storage
  storage_type           = "gp3"
  storage_encrypted      = true
  parameter_group_name   = aws_db_parameter_group.this.name
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = !var.deletion_protection
  final_snapshot_identifier = var.deletion_protection ? "${var.name}-final" : null
  apply_immediately         = false
}
