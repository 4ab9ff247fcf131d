# The integrations/github provider is configured.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfconfig-v2.sentinel"
  }
}

test {
  rules = {
    main              = false
    providers_allowed = false
  }
}
