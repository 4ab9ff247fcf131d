# 1250.00 a month is over the 300 limit.

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-api-over-budget/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                       = false
    cost_estimated             = true
    proposed_cost_within_limit = false
  }
}
