# No cost estimate for the run: nothing to judge.

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-no-estimate/mock-tfrun.sentinel"
  }
}

test {
  rules = {
    main           = true
    cost_estimated = false
  }
}
