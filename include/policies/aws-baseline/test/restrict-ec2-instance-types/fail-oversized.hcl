# A new m5.4xlarge batch instance is not on the default list.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

test {
  rules = {
    main                   = false
    instance_types_allowed = false
  }
}
