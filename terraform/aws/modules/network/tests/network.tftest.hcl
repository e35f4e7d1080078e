mock_provider "aws" {}

variables {
  name                 = "ticketly-test"
  vpc_cidr             = "10.0.0.0/16"
  availability_zones   = ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
  public_subnet_cidrs  = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
  private_subnet_cidrs = ["10.0.80.0/24", "10.0.81.0/24", "10.0.82.0/24"]
}

run "one_public_and_one_private_subnet_per_zone" {
  command = plan

  assert {
    condition     = tolist([for s in aws_subnet.public : s.availability_zone]) == var.availability_zones && tolist([for s in aws_subnet.private : s.availability_zone]) == var.availability_zones
    error_message = "one subnet of each kind per zone"
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "no instance gets a public IP by accident"
  }
  assert {
    condition     = aws_route.private_nat.destination_cidr_block == "0.0.0.0/0" && aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "private subnets leave through the NAT gateway, public ones through the internet gateway"
  }
}

run "a_subnet_per_zone" {
  command = plan

  variables {
    private_subnet_cidrs = ["10.0.80.0/24", "10.0.81.0/24"]
  }

  expect_failures = [var.private_subnet_cidrs]
}
