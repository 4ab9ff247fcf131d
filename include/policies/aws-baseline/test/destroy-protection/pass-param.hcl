# A workspace that protects only DynamoDB tables may delete its database and
# replace its bucket.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

mock "tfrun" {
  module {
    source = "../../testdata/mocks/run-api-over-budget/mock-tfrun.sentinel"
  }
}

param "protected_types" {
  value = ["aws_dynamodb_table"]
}

test {
  rules = {
    main                     = true
    protected_resources_kept = true
  }
}
