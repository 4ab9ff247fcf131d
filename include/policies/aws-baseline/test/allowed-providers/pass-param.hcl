# A workspace that may also manage GitHub.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfconfig-v2.sentinel"
  }
}

param "allowed_providers" {
  value = ["hashicorp/aws", "integrations/github"]
}

test {
  rules = {
    main              = true
    providers_allowed = true
  }
}
