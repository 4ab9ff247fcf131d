# A Standard account with geo-redundant storage.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

test {
  rules = {
    main                     = true
    account_tier_allowed     = true
    replication_type_allowed = true
  }
}
