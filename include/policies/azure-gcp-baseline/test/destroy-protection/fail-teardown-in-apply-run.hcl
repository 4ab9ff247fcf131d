# The same teardown in a run that is not a destroy run.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-destroy/mock-tfplan-v2.sentinel"
  }
}

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-api-no-commit/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                     = false
    is_destroy_run           = false
    protected_resources_kept = false
  }
}
