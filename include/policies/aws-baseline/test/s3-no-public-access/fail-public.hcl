# A public-read bucket ACL, a public-read-write aws_s3_bucket_acl and a public
# access block with two settings switched off.

import "module" "plan-functions" {
  source = "../../modules/plan-functions.sentinel"
}

mock "tfplan/v2" {
  module {
    source = "../../testdata/mocks/plan-noncompliant/mock-tfplan-v2.sentinel"
  }
}

test {
  rules = {
    main           = false
    no_public_acls = false
  }
}
