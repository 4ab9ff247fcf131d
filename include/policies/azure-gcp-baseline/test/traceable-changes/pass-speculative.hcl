# A speculative plan applies nothing.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-speculative/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main         = true
    needs_commit = false
  }
}
