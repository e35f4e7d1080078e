# Partial backend configuration of the qa fixture environment.
path = "states/qa.tfstate"
workspace_dir = "states/qa.d"
