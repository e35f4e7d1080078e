# Development: small and cheap. 2 nodes, 8 GB RAM, HDD.
environment  = "dev"
location     = "de/fra"
node_count   = 2
cores_count  = 2
ram_size     = 8192 # MB
storage_type = "HDD"
storage_size = 50

# Reserved public IPs: a fixed block, at least the largest node count + 1
# (2 nodes now, room for 3). Scaling never touches it; changing this
# number replaces the block and every node's public IP. Billed per
# reserved IP, used or not.
public_ip_block_size = 4

# Open API for development; production requires an allow list.
api_subnet_allow_list = []

registry_garbage_collection_schedule = {
  days = ["Saturday"]
  time = "02:00:00+00:00"
}
registry_vulnerability_scanning = false
# Rotate before this date (Vigil's expiry collector tickets 30 days and pages 3 days ahead).
registry_token_expiry_date = "2027-06-30 00:00:00Z"

app_image_tag = "latest"
