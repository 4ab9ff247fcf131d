# HTTP allowed (the azurerm 3.x argument name), TLS 1.0, public blobs left at
# the provider default, and a container readable by anyone.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

test {
  rules = {
    main       = false
    https_only = false
  }
}
