mock "tfplan/v2" {
  module {
    source = "../../mocks/mock-tfplan-small.sentinel"
  }
}
