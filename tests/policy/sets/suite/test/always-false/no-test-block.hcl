global "limit" {
  value = 3
}
