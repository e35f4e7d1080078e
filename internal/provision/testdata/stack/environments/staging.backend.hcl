# Partial backend configuration of the staging fixture environment.
path = "states/staging.tfstate"
