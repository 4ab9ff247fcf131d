# A workspace that only requires a service label on GCP resources.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

param "required_keys" {
  value = { "google_" = ["service"] }
}

test {
  rules = {
    main               = true
    resources_labelled = true
  }
}
