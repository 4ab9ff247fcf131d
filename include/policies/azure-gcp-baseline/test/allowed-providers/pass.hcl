# hashicorp/azurerm and hashicorp/google.

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
