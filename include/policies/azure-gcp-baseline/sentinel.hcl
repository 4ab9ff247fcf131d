# Azure and GCP baseline for the data platform (acme-corp storage-prod) and the Compute Engine
# fleet (globex gcp-compute).
#
# Levels: hard-mandatory for what must never reach the clouds (insecure storage, oversized
# machines, world-open firewalls, unreviewed providers), soft-mandatory for what a reviewer may
# approve (Premium storage, deletions, runs without a commit), advisory for labelling.

import "module" "plan-functions" {
  source = "./modules/plan-functions.sentinel"
}

policy "allowed-providers" {
  source            = "./allowed-providers.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_providers = ["hashicorp/azurerm", "hashicorp/azuread", "hashicorp/google", "hashicorp/random"]
  }
}

policy "azure-storage-secure-transfer" {
  source            = "./azure-storage-secure-transfer.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_tls_versions = ["TLS1_2", "TLS1_3"]
  }
}

policy "gcp-allowed-machine-types" {
  source            = "./gcp-allowed-machine-types.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_machine_types = ["e2-micro", "e2-small", "e2-medium", "e2-standard-2", "e2-standard-4"]
  }
}

policy "gcp-firewall-no-world-ingress" {
  source            = "./gcp-firewall-no-world-ingress.sentinel"
  enforcement_level = "hard-mandatory"
  params = {
    allowed_public_ports = []
  }
}

policy "azure-storage-allowed-skus" {
  source            = "./azure-storage-allowed-skus.sentinel"
  enforcement_level = "soft-mandatory"
  params = {
    allowed_account_tiers     = ["Standard"]
    allowed_replication_types = ["LRS", "ZRS", "GRS", "RAGRS"]
  }
}

policy "destroy-protection" {
  source            = "./destroy-protection.sentinel"
  enforcement_level = "soft-mandatory"
}

policy "traceable-changes" {
  source            = "./traceable-changes.sentinel"
  enforcement_level = "soft-mandatory"
}

policy "required-labels" {
  source            = "./required-labels.sentinel"
  enforcement_level = "advisory"
  params = {
    required_keys = {
      "azurerm_" = ["cost-center"]
      "google_"  = ["service", "team"]
    }
  }
}

# Mocks for `sentinel apply` in this folder: the compliant test plan and a run from a commit.
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
    source = "./testdata/mocks/run-vcs/mock-tfrun.sentinel"
  }
}
