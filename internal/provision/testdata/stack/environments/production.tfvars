environment = "production"
node_count  = 3
lan_public  = true
