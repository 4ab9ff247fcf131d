# The same changes queued through the API without a commit.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-api-no-commit/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main         = false
    needs_commit = true
    from_commit  = false
  }
}
