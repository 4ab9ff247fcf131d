# A pinned module from the private registry and a local module.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfconfig-v2.sentinel"
  }
}

test {
  rules = {
    main                    = true
    module_sources_allowed  = true
    registry_modules_pinned = true
  }
}
