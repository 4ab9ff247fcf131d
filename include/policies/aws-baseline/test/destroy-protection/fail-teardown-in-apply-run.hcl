# The teardown plan in a run that is not a destroy run.

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
    source = "../../testdata/mocks/run-no-estimate/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                     = false
    is_destroy_run           = false
    protected_resources_kept = false
  }
}
