# Production: 3 nodes minimum, autoscaling 3 to 5, 16 GB RAM, SSD, API
# restricted to known networks.
environment  = "production"
location     = "de/fra"
node_count   = 3
cores_count  = 4
ram_size     = 16384 # MB
storage_type = "SSD"
storage_size = 100

# Reserved public IPs: a fixed block, at least the largest node count + 1
# (autoscaling up to 5 needs 6; room to raise the maximum to 7). Scaling
# never touches it; changing this number replaces the block and every
# node's public IP. Billed per reserved IP, used or not.
public_ip_block_size = 8

autoscaling = {
  min_node_count = 3
  max_node_count = 5
}

maintenance_window = {
  day_of_the_week = "Sunday"
  time            = "02:00:00Z"
}

# REPLACE with your office, VPN and CI egress networks (these are the
# RFC 5737 documentation ranges). An empty list fails the plan.
api_subnet_allow_list = ["198.51.100.0/24", "203.0.113.0/24"]

registry_garbage_collection_schedule = {
  days = ["Sunday"]
  time = "04:00:00+00:00"
}
# Paid, and cannot be switched off once enabled.
registry_vulnerability_scanning = true
registry_token_expiry_date      = "2027-06-30 00:00:00Z"

# Pin a released tag in production.
app_image_tag = "v0.1.0"
