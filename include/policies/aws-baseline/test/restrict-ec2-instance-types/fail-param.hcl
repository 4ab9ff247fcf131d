# A stricter list: the worker's resize to t3.medium is no longer allowed.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_types" {
  value = ["t3.micro"]
}

test {
  rules = {
    main                   = false
    instance_types_allowed = false
  }
}
