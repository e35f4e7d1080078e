# Partial backend configuration of the staging fixture environment.
path = "states/staging.tfstate"
workspace_dir = "states/staging.d"
