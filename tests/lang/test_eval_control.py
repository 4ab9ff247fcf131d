"""Statements and functions: if, case, for, break/continue, return, closures, scoping, recursion."""

from __future__ import annotations

from .eval_helpers import error, run, value


def test_if_else_chain() -> None:
    prelude = """
f = func(x) {
  if x < 0 {
    return "neg"
  } else if x == 0 {
    return "zero"
  } else if x < 10 {
    return "small"
  } else {
    return "big"
  }
}
"""
    assert value("[f(-1), f(0), f(5), f(50)]", prelude) == ["neg", "zero", "small", "big"]


def test_if_does_not_scope() -> None:
    prelude = """
if true {
  declared_in_if = 1
} else {
  other = 2
}
"""
    assert value("declared_in_if", prelude) == 1


def test_if_with_non_bool_condition_takes_else_and_notes_it() -> None:
    result = run(
        'x = "no"\nif undefined { x = "then" } else { x = "else" }\nif 1 { x += "!" }\nmain = x is "else"'
    )
    assert result.passed
    assert any("undefined, not a bool" in note for note in result.trace)
    assert any("int, not a bool" in note for note in result.trace)


def test_case() -> None:
    prelude = """
kind = func(x) {
  case x {
    when "a", "b":
      return "ab"
    when 1:
      return "one"
    else:
      return "other"
  }
}
size = func(n) {
  case {
    when n > 100:
      return "large"
    when n > 10:
      return "medium"
  }
  return "small"
}
"""
    assert value(
        '[kind("a"), kind("b"), kind(1), kind(1.0), kind(null), size(500), size(50), size(1)]', prelude
    ) == [
        "ab",
        "ab",
        "one",
        "one",
        "other",
        "large",
        "medium",
        "small",
    ]


def test_case_when_expressions_evaluated_lazily() -> None:
    prelude = """
case 1 {
  when 1: hit = true
  when error("not evaluated"): hit = false
}
"""
    assert value("hit", prelude) is True


def test_for_over_list_and_map() -> None:
    prelude = """
sum = 0
for [1, 2, 3] as v { sum += v }
idx = []
for ["a", "b"] as i, v { append(idx, i) }
ks = []
for {"x": 1, "y": 2} as k { append(ks, k) }
pairs = []
for {"x": 1, "y": 2} as k, v { append(pairs, k + "=" + string(v)) }
"""
    assert value("[sum, idx, ks, pairs]", prelude) == [6, [0, 1], ["x", "y"], ["x=1", "y=2"]]


def test_for_over_undefined_is_noop_other_types_error() -> None:
    assert value("n", "n = 0\nfor undefined as x { n += 1 }") == 0
    assert "cannot iterate over a value of type null" in error("for null as x { }\nmain = true").message
    assert "cannot iterate over a value of type string" in error('for "ab" as x { }\nmain = true').message


def test_for_iterates_a_snapshot() -> None:
    prelude = """
l = [1, 2]
for l as v { append(l, v) }
m = {"a": 1}
for m as k { m[k + "x"] = 1 }
"""
    assert value("[l, keys(m)]", prelude) == [[1, 2, 1, 2], ["a", "ax"]]


def test_break_and_continue() -> None:
    prelude = """
seen = []
for [1, 2, 3, 4, 5] as v {
  if v == 2 { continue }
  if v == 4 { break }
  append(seen, v)
}
outer = []
for [1, 2] as a {
  for [1, 2, 3] as b {
    if b == 2 { break }
    append(outer, [a, b])
  }
}
"""
    assert value("[seen, outer]", prelude) == [[1, 3], [[1, 1], [2, 1]]]


def test_return_from_inside_loops() -> None:
    prelude = """
find = func(items, want) {
  for items as i, v {
    for [0] as _ {
      if v == want { return i }
    }
  }
  return -1
}
"""
    assert value("[find([5, 6, 7], 7), find([], 1)]", prelude) == [2, -1]


def test_loop_variables_are_scoped_to_the_loop() -> None:
    err = error("for [1] as v { inner = v }\nmain = inner is 1")
    assert '"inner" is not defined' in err.message


def test_assignment_in_loop_updates_outer_variable() -> None:
    assert value("count", "count = 0\nfor [1, 2, 3] as v { count += 1 }") == 3


def test_loop_name_shadows_outer_variable() -> None:
    assert value("v", 'v = "outer"\nfor [1, 2] as v { }') == "outer"


def test_function_forms_and_values() -> None:
    prelude = """
double = func(n) { return n * 2 }
func triple(n) { return n * 3 }
apply = func(f, x) { return f(x) }
fs = {"d": double, "t": triple}
"""
    assert value('[double(2), triple(2), apply(double, 5), fs.t(3), fs["d"](1)]', prelude) == [4, 6, 10, 9, 2]


def test_closures_capture_enclosing_scopes() -> None:
    prelude = """
make_counter = func() {
  count = 0
  return func() {
    count += 1
    return count
  }
}
c1 = make_counter()
c2 = make_counter()
a = c1()
b = c1()
c = c2()
adder = func(n) { return func(x) { return func(y) { return n + x + y } } }
"""
    assert value("[a, b, c, adder(1)(2)(3)]", prelude) == [1, 2, 1, 6]


def test_function_updates_global_and_reads_later_globals() -> None:
    prelude = """
total = 0
add = func(n) {
  total += n
  return limit_value
}
limit_value = 7
r = add(5)
"""
    assert value("[total, r]", prelude) == [5, 7]


def test_function_locals_do_not_leak() -> None:
    err = error("f = func() { local_name = 1\n return true }\nx = f()\nmain = local_name")
    assert '"local_name" is not defined' in err.message


def test_recursion() -> None:
    prelude = """
fib = func(n) {
  if n < 2 { return n }
  return fib(n - 1) + fib(n - 2)
}
func even(n) {
  if n == 0 { return true }
  return odd(n - 1)
}
func odd(n) {
  if n == 0 { return false }
  return even(n - 1)
}
"""
    assert value("[fib(15), even(10), odd(7)]", prelude) == [610, True, True]


def test_falling_off_the_end_is_an_error() -> None:
    err = error("f = func() { x = 1 }\nmain = f()")
    assert "function f ended without a return statement" in err.message
    assert err.position is not None and err.position.line == 1
    assert any("(f)" in frame for frame in err.trace)


def test_wrong_arity_is_an_error() -> None:
    err = error("f = func(a, b) { return a }\nmain = f(1)")
    assert "function f takes 2 arguments, got 1" in err.message
    assert err.position is not None and err.position.line == 2


def test_calling_a_non_function_is_an_error() -> None:
    assert "cannot call a value of type undefined" in error("m = {}\nmain = m.f()").message
    assert "cannot call a value of type int" in error("x = 1\nmain = x()").message


def test_return_outside_function_is_a_compile_error() -> None:
    import pytest

    from tfc_sentinel.lang import SentinelSyntaxError, compile_policy

    with pytest.raises(SentinelSyntaxError, match="outside of a function"):
        compile_policy("return 1", "p.sentinel")


def test_fluent_functions_through_map_selectors() -> None:
    prelude = """
data = {"aws_instance": {"web": {"size": "big"}, "db": {"size": "small"}}}
tf = {
  "plan": func(scope) {
    return {
      "type": func(t) {
        return {"resources": data[t], "scope": scope}
      },
    }
  },
}
"""
    assert value('tf.plan("root").type("aws_instance").resources.web.size', prelude) == "big"


def test_predeclared_names_can_be_shadowed() -> None:
    assert value("[length, l]", 'l = length("abc")\nlength = 5') == [5, 3]
    assert value("f(1)", "f = func(string) { return string + 1 }") == 2


def test_functions_called_by_imports() -> None:
    prelude = """
import "collection"
items = [1, 2, 3, 4]
evens = collection.filter(items, func(x) { return x % 2 == 0 })
found = collection.find(items, func(x) { return x > 2 })
"""
    assert value("[evens, found]", prelude) == [[2, 4], 3]
