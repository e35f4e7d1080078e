environment             = "dev"
control_plane_public_ip = "localhost"
