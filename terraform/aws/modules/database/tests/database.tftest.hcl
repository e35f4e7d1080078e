mock_provider "aws" {}

variables {
  name                     = "ticketly-test"
  vpc_id                   = "vpc-0123456789abcdef0"
  subnet_ids               = ["subnet-a", "subnet-b", "subnet-c"]
  client_security_group_id = "sg-workers"
  infra_security_group_id  = "sg-infra"
  instance_class           = "db.t3.medium"
  engine_version           = "16"
  allocated_storage        = 20
  backup_retention_days    = 7
  deletion_protection      = true
}

run "logical_replication_backups_workers_and_debezium_only" {
  command = plan

  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16" && contains([for p in aws_db_parameter_group.this.parameter : "${p.name}=${p.value}"], "rds.logical_replication=1")
    error_message = "the parameter group must enable logical replication for the engine's family"
  }
  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name
    error_message = "automated backups with the retention given, and the parameter group used"
  }
  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.password == null
    error_message = "the password lives in Secrets Manager, never in Terraform"
  }
  assert {
    condition     = aws_db_instance.this.publicly_accessible == false && aws_db_instance.this.storage_encrypted
    error_message = "RDS must be private and encrypted"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.workers.referenced_security_group_id == "sg-workers" && aws_vpc_security_group_ingress_rule.workers.from_port == 5432 && aws_vpc_security_group_ingress_rule.workers.cidr_ipv4 == null
    error_message = "PostgreSQL must be open to the workers' security group only"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.debezium.referenced_security_group_id == "sg-infra" && aws_vpc_security_group_ingress_rule.debezium.ip_protocol == "tcp" && aws_vpc_security_group_ingress_rule.debezium.from_port == 5432 && aws_vpc_security_group_ingress_rule.debezium.to_port == 5432 && aws_vpc_security_group_ingress_rule.debezium.cidr_ipv4 == null
    error_message = "Debezium on the infra node must reach PostgreSQL (5432 only, from the infra node's security group)"
  }
  assert {
    condition     = aws_db_instance.this.engine_version == "16" && aws_db_instance.this.auto_minor_version_upgrade
    error_message = "a major-only engine version with automatic minor upgrades: the provider keeps \"16\" while AWS moves 16.4 to 16.6"
  }
  assert {
    condition     = aws_db_instance.this.deletion_protection && !aws_db_instance.this.skip_final_snapshot
    error_message = "deletion protection keeps a final snapshot"
  }
}

# A major.minor pin with automatic minor upgrades drifts after AWS's first
# upgrade (16.4 configured, 16.6 running: every plan wants a downgrade).
run "major_minor_with_automatic_minor_upgrades_refused" {
  command = plan

  variables {
    engine_version = "16.4"
  }

  expect_failures = [var.engine_version]
}

run "major_minor_pinned_without_automatic_minor_upgrades" {
  command = plan

  variables {
    engine_version             = "16.4"
    auto_minor_version_upgrade = false
  }

  assert {
    condition     = aws_db_instance.this.engine_version == "16.4" && !aws_db_instance.this.auto_minor_version_upgrade && aws_db_parameter_group.this.family == "postgres16"
    error_message = "major.minor is kept as given when automatic minor upgrades are off"
  }
}
