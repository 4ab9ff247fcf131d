# A t3.micro and a worker resized to t3.medium: both on the default list.

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
    main                   = true
    instance_types_allowed = true
  }
}
