# A cost-center tag required on top: nothing in the plan has it.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

param "mandatory_tags" {
  value = ["team", "env", "cost-center"]
}

test {
  rules = {
    main             = false
    resources_tagged = false
  }
}
