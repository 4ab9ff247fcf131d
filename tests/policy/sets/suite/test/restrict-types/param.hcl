import "module" "helpers" {
  source = "../../modules/helpers.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../mocks/mock-tfplan-large.sentinel"
  }
}

param "allowed_types" {
  value = ["t3.micro", "m5.large"]
}

test {
  rules = {
    main = true
  }
}
