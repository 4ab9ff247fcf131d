test {
  rules = {
    main = true
  }
