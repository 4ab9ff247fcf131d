# SSH, a TCP range and every UDP port open to 0.0.0.0/0.

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
    main             = false
    no_world_ingress = false
  }
}
