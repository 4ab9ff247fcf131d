# A private ACL and a public access block with every setting on.

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
    no_public_acls        = true
    public_access_blocked = true
  }
}
