# Allowing 22 and 8000-8080 publicly still leaves every UDP port open.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

param "allowed_public_ports" {
  value = ["22", "8000-8080"]
}

test {
  rules = {
    main             = false
    no_world_ingress = false
  }
}
