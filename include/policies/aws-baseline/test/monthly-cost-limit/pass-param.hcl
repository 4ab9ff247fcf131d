# A bigger budget, given as decimal strings.

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-api-over-budget/mock-tfrun.sentinel"
  }
}

param "max_monthly_cost" {
  value = "2000.00"
}

param "max_monthly_increase" {
  value = "1000.00"
}

test {
  rules = {
    main = true
  }
}
