# A developer's workspace (the guide's "dev"): the queues, the assets bucket
# and the IAM users only; the applications run on the developer's machine.
environment = "dev"
platform    = false
region      = "eu-central-1"

assets_bucket_name = "ticketly-dev-assets-example"
public_read_prefix = "public/"

queues                  = ["ticket-events", "email-notifications", "payment-events"]
queue_max_receive_count = 5
