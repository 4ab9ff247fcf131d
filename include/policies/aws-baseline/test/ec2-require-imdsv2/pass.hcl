# Both instances require IMDSv2 tokens.

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
    main            = true
    imdsv2_required = true
  }
}
