output "control_plane_public_ip" {
  value = aws_eip.control_plane.public_ip
}

output "control_plane_private_ip" {
  value = aws_instance.control_plane.private_ip
}

output "control_plane_instance_id" {
  value = aws_instance.control_plane.id
}

output "worker_instance_ids" {
  value = aws_instance.worker[*].id
}

output "infra_instance_id" {
  value = aws_instance.infra.id
}

output "infra_private_ip" {
  value = aws_instance.infra.private_ip
}

output "worker_security_group_id" {
  value = aws_security_group.worker.id
}

output "key_name" {
  value = aws_key_pair.this.key_name
}

output "infra_security_group_id" {
  description = "The infra node's group: RDS admits Debezium's PostgreSQL connections from it."
  value       = aws_security_group.infra.id
}
