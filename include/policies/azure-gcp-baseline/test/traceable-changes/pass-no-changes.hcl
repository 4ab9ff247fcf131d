# A drift check that changes nothing.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-no-changes/mock-tfplan-v2.sentinel"
  }
}

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-api-no-commit/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main              = true
    changes_resources = false
  }
}
