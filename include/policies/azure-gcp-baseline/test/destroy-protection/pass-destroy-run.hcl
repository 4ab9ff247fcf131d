# A resource group and storage account deleted by a destroy run.

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
    source = "../../testdata/mocks/run-destroy/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                     = true
    is_destroy_run           = true
    protected_resources_kept = true
  }
}
