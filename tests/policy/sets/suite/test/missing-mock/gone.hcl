mock "tfplan/v2" {
  module {
    source = "mocks/does-not-exist.sentinel"
  }
}
