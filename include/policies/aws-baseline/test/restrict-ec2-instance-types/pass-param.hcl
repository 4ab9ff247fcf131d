# A workspace whose list includes the batch instance type.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_types" {
  value = ["t3.small", "m5.4xlarge"]
}

test {
  rules = {
    main = true
  }
}
