# Deleted accounts are not judged.

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
    main = true
  }
}
