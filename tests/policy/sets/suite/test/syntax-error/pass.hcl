test {
  rules = {
    main = true
  }
}
