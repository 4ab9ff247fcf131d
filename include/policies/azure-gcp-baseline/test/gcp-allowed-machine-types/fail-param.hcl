# Only e2-small allowed: the resize fails.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_machine_types" {
  value = ["e2-small"]
}

test {
  rules = {
    main                  = false
    machine_types_allowed = false
  }
}
