# The batch instance sets http_tokens to optional. (The scratch instance's
# metadata options are known only after apply and are not judged.)

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
    main            = false
    imdsv2_required = false
  }
}
