# The database is updated in place; nothing protected is deleted.

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
    source = "../../testdata/mocks/run-vcs-within-budget/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                     = true
    is_destroy_run           = false
    protected_resources_kept = true
  }
}
