# A workspace that may also manage Kubernetes.

mock "tfconfig/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfconfig-v2.sentinel"
  }
}

param "allowed_providers" {
  value = ["hashicorp/azurerm", "hashicorp/google", "hashicorp/kubernetes"]
}

test {
  rules = {
    main              = true
    providers_allowed = true
  }
}
