# A module straight from a GitHub repository.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfconfig-v2.sentinel"
  }
}

test {
  rules = {
    main                   = false
    module_sources_allowed = false
  }
}
