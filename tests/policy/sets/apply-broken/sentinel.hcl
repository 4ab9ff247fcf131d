# Written for tfc-sentinel's tests: one good policy among broken ones.
module "gone" {
  source = "./modules/gone.sentinel"
}

policy "good" {
  source            = "./good.sentinel"
  enforcement_level = "hard-mandatory"
}

policy "syntax" {
  source            = "./syntax.sentinel"
  enforcement_level = "advisory"
}

policy "missing-file" {
  source            = "./missing-file.sentinel"
  enforcement_level = "advisory"
}

policy "uses-gone-module" {
  source            = "./uses-gone-module.sentinel"
  enforcement_level = "soft-mandatory"
}
