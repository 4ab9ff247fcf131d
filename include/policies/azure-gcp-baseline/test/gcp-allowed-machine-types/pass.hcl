# An instance resized from e2-small to e2-medium.

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
    main                  = true
    machine_types_allowed = true
  }
}
