# AWS baseline for acme-corp's AWS workspaces (net-prod, net-sandbox).
#
# Levels: hard-mandatory for what must never reach AWS (oversized instances, public buckets or
# ports, unreviewed providers), soft-mandatory for what a reviewer may approve (cost, deletions,
# module sources), advisory for hygiene teams are still rolling out (tags, IMDSv2).

import "module" "plan-functions" {
  source = "./modules/plan-functions.sentinel"
}

policy "restrict-ec2-instance-types" {
  source            = "./restrict-ec2-instance-types.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_types = ["t3.micro", "t3.small", "t3.medium"]
  }
}

policy "s3-no-public-access" {
  source            = "./s3-no-public-access.sentinel"
  enforcement_level = "hard-mandatory"
}

policy "restrict-public-ingress" {
  source            = "./restrict-public-ingress.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_public_ports = [80, 443]
  }
}

policy "allowed-providers" {
  source            = "./allowed-providers.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_providers = ["hashicorp/aws", "hashicorp/random", "hashicorp/tls"]
  }
}

policy "allowed-module-sources" {
  source            = "./allowed-module-sources.sentinel"
  enforcement_level = "soft-mandatory"
  params = {
    allowed_module_sources = ["./", "../", "app.terraform.io/acme-corp/"]
  }
}

policy "monthly-cost-limit" {
  source            = "./monthly-cost-limit.sentinel"
  enforcement_level = "soft-mandatory"
  params = {
    max_monthly_cost     = 300
    max_monthly_increase = 100
  }
}

policy "destroy-protection" {
  source            = "./destroy-protection.sentinel"
  enforcement_level = "soft-mandatory"
}

policy "mandatory-tags" {
  source            = "./mandatory-tags.sentinel"
  enforcement_level = "advisory"
  params = {
    mandatory_tags = ["team", "env"]
  }
}

policy "ec2-require-imdsv2" {
  source            = "./ec2-require-imdsv2.sentinel"
  enforcement_level = "advisory"
}

# Mocks for `sentinel apply` in this folder: the compliant test plan and a run within budget.
# `tfc-sentinel apply --bundle DIR` replaces them with the bundle's mocks.
mock "tfplan/v2" {
  module {
    source = "./testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

mock "tfconfig/v2" {
  module {
    source = "./testdata/mocks/plan-compliant/mock-tfconfig-v2.sentinel"
  }
}

mock "tfrun" {
  module {
    source = "./testdata/mocks/run-vcs-within-budget/mock-tfrun.sentinel"
  }
}
