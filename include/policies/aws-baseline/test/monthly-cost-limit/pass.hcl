# 182.40 a month after the run, 32.40 more than before.

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-vcs-within-budget/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main                       = true
    cost_estimated             = true
    proposed_cost_within_limit = true
    cost_increase_within_limit = true
  }
}
