environment = "staging"
node_count  = 2
lan_public  = true
