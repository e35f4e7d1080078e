output "bucket" {
  value = aws_s3_bucket.this.bucket
}

output "arn" {
  value = aws_s3_bucket.this.arn
}

output "public_url_prefix" {
  description = "URL prefix of the publicly readable keys, or null."
  value       = var.public_read_prefix == "" ? null : "https://${aws_s3_bucket.this.bucket_regional_domain_name}/${var.public_read_prefix}"
}
