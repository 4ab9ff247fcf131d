# A plan that only deletes resources has nothing to tag.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-destroy/mock-tfplan-v2.sentinel"
  }
}

test {
  rules = {
    main             = true
    resources_tagged = true
  }
}
