output "urls" {
  description = "Queue URL by name."
  value       = { for k, q in aws_sqs_queue.this : k => q.url }
}

output "arns" {
  value = { for k, q in aws_sqs_queue.this : k => q.arn }
}

output "dlq_urls" {
  value = { for k, q in aws_sqs_queue.dlq : k => q.url }
}

output "dlq_arns" {
  value = { for k, q in aws_sqs_queue.dlq : k => q.arn }
}

output "names" {
  description = "Every queue name, dead-letter queues included."
  value       = concat([for q in aws_sqs_queue.this : q.name], [for q in aws_sqs_queue.dlq : q.name])
}
