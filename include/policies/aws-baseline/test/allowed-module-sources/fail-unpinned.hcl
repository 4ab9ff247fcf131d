# With GitHub allowed, the source passes but neither module call pins a version.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfconfig-v2.sentinel"
  }
}

param "allowed_module_sources" {
  value = ["./", "app.terraform.io/acme-corp/", "github.com/example-org/"]
}

test {
  rules = {
    main                    = false
    module_sources_allowed  = true
    registry_modules_pinned = false
  }
}
