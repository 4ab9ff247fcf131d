# Only TLS 1.3 accepted: the otherwise compliant account fails.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_tls_versions" {
  value = ["TLS1_3"]
}

test {
  rules = {
    main        = false
    https_only  = true
    tls_current = false
  }
}
