# 280.00 a month is within the limit, but the run adds 130.00.

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-increase-over-limit/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                       = false
    proposed_cost_within_limit = true
    cost_increase_within_limit = false
  }
}
