# Staging: production-like hardware at the smallest size. 2 nodes, 16 GB RAM, SSD.
environment  = "staging"
location     = "de/fra"
node_count   = 2
cores_count  = 4
ram_size     = 16384 # MB
storage_type = "SSD"
storage_size = 100

# Reserved public IPs: a fixed block, at least the largest node count + 1
# (2 nodes now, room for 3). Scaling never touches it; changing this
# number replaces the block and every node's public IP. Billed per
# reserved IP, used or not.
public_ip_block_size = 4

api_subnet_allow_list = []

registry_garbage_collection_schedule = {
  days = ["Saturday"]
  time = "02:00:00+00:00"
}
registry_vulnerability_scanning = false
registry_token_expiry_date      = "2027-06-30 00:00:00Z"

app_image_tag = "latest"
