# HTTPS only, TLS 1.2, no public blobs, a private container.

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
    main             = true
    https_only       = true
    tls_current      = true
    no_public_access = true
  }
}
