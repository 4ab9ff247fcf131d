# Premium and GZRS both approved.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_account_tiers" {
  value = ["Premium"]
}

param "allowed_replication_types" {
  value = ["GZRS"]
}

test {
  rules = {
    main = true
  }
}
