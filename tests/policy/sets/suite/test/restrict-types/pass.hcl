module "helpers" {
  source = "../../modules/helpers.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../mocks/mock-tfplan-small.sentinel"
  }
}
