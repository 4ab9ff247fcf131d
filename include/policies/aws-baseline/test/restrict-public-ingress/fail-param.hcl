# Only HTTPS may be public here, so the HTTP rule fails.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_public_ports" {
  value = [443]
}

test {
  rules = {
    main              = false
    no_public_ingress = false
  }
}
