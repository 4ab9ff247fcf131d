# Every created or updated taggable resource has team and env, directly or through
# the provider's default_tags (tags_all); the untouched legacy bucket is not judged.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-compliant/mock-tfplan-v2.sentinel"
  }
}

test {
  rules = {
    main             = true
    resources_tagged = true
  }
}
