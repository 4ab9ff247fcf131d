# cost-center on the Azure account, service and team on the GCP instance; the
# container has no tags argument and the unchanged resource group is not judged.

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
    main               = true
    resources_labelled = true
  }
}
