# Instances and a security group rule without team and env.

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
    main             = false
    resources_tagged = false
  }
}
