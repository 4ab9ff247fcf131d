# Premium approved for this workspace, but GZRS replication is not on the list.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_account_tiers" {
  value = ["Standard", "Premium"]
}

test {
  rules = {
    main                     = false
    account_tier_allowed     = true
    replication_type_allowed = false
  }
}
