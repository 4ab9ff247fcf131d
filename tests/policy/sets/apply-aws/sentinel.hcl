# Written for tfc-sentinel's tests: a policy set for the emulator fixture plan aws-network-changes.json.
module "plan-helpers" {
  source = "./modules/plan-helpers.sentinel"
}

policy "instance-types" {
  source            = "./instance-types.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_types = ["t3.micro", "t3.small"]
  }
}

policy "owner-tag" {
  source            = "./owner-tag.sentinel"
  enforcement_level = "soft-mandatory"
}

policy "no-deletes" {
  source            = "./no-deletes.sentinel"
  enforcement_level = "advisory"
}

policy "v1-instances" {
  source            = "./v1-instances.sentinel"
  enforcement_level = "hard-mandatory"
}

policy "cost-limit" {
  source            = "./cost-limit.sentinel"
  enforcement_level = "hard-mandatory"
}

param "monthly_limit" {
  value = 100
}
