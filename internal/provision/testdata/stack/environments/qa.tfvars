environment = "qa"
node_count  = 1
lan_public  = false
