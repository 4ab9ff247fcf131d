# hashicorp/aws (root and module configurations) and hashicorp/random.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfconfig-v2.sentinel"
  }
}

test {
  rules = {
    main              = true
    providers_allowed = true
  }
}
