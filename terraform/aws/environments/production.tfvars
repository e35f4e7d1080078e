# Everything the guide runs: 3 zones, K3s (1 server, 4 agents, the infra node
# at 10.0.80.20), RDS PostgreSQL, the ALB behind WAF, the schedules.
environment = "production"
platform    = true
region      = "eu-central-1"

availability_zones   = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
vpc_cidr             = "10.0.0.0/16"
public_subnet_cidrs  = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
private_subnet_cidrs = ["10.0.80.0/24", "10.0.81.0/24", "10.0.82.0/24"]

# Your office or VPN addresses: SSH and the Kubernetes API (6443).
admin_cidrs = ["203.0.113.0/24"]

ssh_public_key_file = "keys/ticketly-production.pub"
ami_id              = "ami-0e04bcbe83a83792e" # Ubuntu 24.04 LTS amd64, eu-central-1

control_plane_instance_type = "t3.medium"
worker_instance_type        = "t3.large"
worker_count                = 4
infra_instance_type         = "t3.xlarge"
infra_private_ip            = "10.0.80.20"
k3s_version                 = "v1.33.5+k3s1"

acm_certificate_arn = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
app_hostname        = "ticketly.example.com"
upload_path_prefix  = "/api/uploads/"
max_body_bytes      = 8192

# The engine's major only: RDS upgrades minors automatically, and a
# major.minor pin would make every plan after the first upgrade a downgrade
# (variables.tf, db_engine_version).
db_instance_class        = "db.t3.medium"
db_engine_version        = "16"
db_allocated_storage     = 50
db_backup_retention_days = 7
db_deletion_protection   = true

assets_bucket_name = "ticketly-production-assets-example"
public_read_prefix = "public/"

queues                  = ["ticket-events", "email-notifications", "payment-events"]
queue_max_receive_count = 5

schedules = {
  "release-expired-reservations" = {
    expression = "rate(5 minutes)"
    queue      = "ticket-events"
    input      = "{\"type\":\"release-expired-reservations\"}"
  }
  "daily-sales-report" = {
    expression = "cron(0 6 * * ? *)"
    queue      = "email-notifications"
    input      = "{\"type\":\"daily-sales-report\"}"
    timezone   = "Europe/Berlin"
  }
}
