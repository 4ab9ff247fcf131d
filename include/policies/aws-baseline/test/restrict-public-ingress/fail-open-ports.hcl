# SSH, RDP and an all-ports IPv6 rule open to the world.

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
    main              = false
    no_public_ingress = false
  }
}
