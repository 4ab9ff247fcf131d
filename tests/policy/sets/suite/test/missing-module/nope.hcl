# The module path below does not exist.
module "helpers" {
  source = "../../modules/nope.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../mocks/mock-tfplan-small.sentinel"
  }
}
