module "helpers" {
  source = "../../modules/helpers.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../mocks/mock-tfplan-large.sentinel"
  }
}

test {
  rules = {
    main         = false
    no_violators = false
  }
}
