# HTTPS (inline rule) and HTTP (standalone rule) open to the world, SSH only from
# the VPN range.

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
    main              = true
    no_public_ingress = true
  }
}
