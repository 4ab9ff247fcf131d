"""AST node classes of the Sentinel language.

Built for a fast evaluator rather than for round-tripping source: plain classes with ``__slots__``
(small, quick attribute access, no per-node dict), children in plain lists, binding names as plain
``str``, parentheses dropped. Every node has ``pos``, the character offset where it starts; operator
nodes also have ``op_pos``, where the operator is, so runtime errors can point at the operator.
``File.source.position(offset)`` turns an offset into file, line and column.

``repr()`` of any node is a compact S-expression (see :func:`dump`) so tests read like the grammar:
``(== (else a b) c)``. ``_fields`` names the child slots in order, for generic walkers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from .errors import Source

__all__ = [
    "Assign",
    "Binary",
    "Break",
    "Call",
    "Case",
    "CaseClause",
    "Constant",
    "Continue",
    "Expr",
    "ExprStmt",
    "File",
    "Float",
    "For",
    "FuncDecl",
    "FuncLit",
    "Ident",
    "If",
    "Import",
    "Index",
    "Int",
    "ListLit",
    "MapLit",
    "Node",
    "Param",
    "Quantifier",
    "Return",
    "RuleLit",
    "Selector",
    "Slice",
    "Stmt",
    "String",
    "Unary",
    "dump",
    "iter_child_nodes",
    "walk",
]


class Node:
    """Base of all nodes. ``pos`` is the start offset in the source text."""

    __slots__ = ("pos",)
    _fields: ClassVar[tuple[str, ...]] = ()

    pos: int

    def __repr__(self) -> str:
        return dump(self)

    def _dump(self) -> str:  # pragma: no cover - every concrete class overrides it
        raise NotImplementedError


class Expr(Node):
    """Base of expression nodes."""

    __slots__ = ()


class Stmt(Node):
    """Base of statement nodes."""

    __slots__ = ()


# --- expressions ------------------------------------------------------------------------------------


class Ident(Expr):
    """A name, including the predeclared ``true false null undefined`` (they may be shadowed)."""

    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        self.pos = pos
        self.name = name

    def _dump(self) -> str:
        return self.name


class Int(Expr):
    """Integer literal; ``value`` is an unbounded Python int (the evaluator wraps to int64)."""

    __slots__ = ("value",)

    def __init__(self, pos: int, value: int) -> None:
        self.pos = pos
        self.value = value

    def _dump(self) -> str:
        return _int_text(self.value)


class Float(Expr):
    __slots__ = ("value",)

    def __init__(self, pos: int, value: float) -> None:
        self.pos = pos
        self.value = value

    def _dump(self) -> str:
        return repr(self.value)


class String(Expr):
    """String literal, decoded; non-UTF-8 bytes are lone surrogates (see the scanner module)."""

    __slots__ = ("value",)

    def __init__(self, pos: int, value: str) -> None:
        self.pos = pos
        self.value = value

    def _dump(self) -> str:
        return json.dumps(self.value)


class Constant(Expr):
    """A list or map literal made only of plain data, decoded in one step (the scanner's JSON fast
    path for multi-MB mocks); it replaces the equivalent :class:`ListLit`/:class:`MapLit` tree.

    ``value`` is Python data: ``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``,
    ``bool`` and ``None`` (for ``null``). Inner values have no nodes and so no positions; evaluating
    plain data cannot fail. The data belongs to the AST: an evaluator must copy it before handing it
    to code that can mutate it (``append``, index assignment), unless the node runs only once.
    It dumps exactly like the literal it replaces.
    """

    __slots__ = ("value",)

    def __init__(self, pos: int, value: dict[str, object] | list[object]) -> None:
        self.pos = pos
        self.value = value

    def _dump(self) -> str:
        return _dump_data(self.value)


class ListLit(Expr):
    __slots__ = ("elts",)
    _fields = ("elts",)

    def __init__(self, pos: int, elts: list[Expr]) -> None:
        self.pos = pos
        self.elts = elts

    def _dump(self) -> str:
        return "[" + ", ".join(e._dump() for e in self.elts) + "]"


class MapLit(Expr):
    """Map literal; ``keys[i]`` maps to ``values[i]``, in source order (duplicates kept)."""

    __slots__ = ("keys", "values")
    _fields = ("keys", "values")

    def __init__(self, pos: int, keys: list[Expr], values: list[Expr]) -> None:
        self.pos = pos
        self.keys = keys
        self.values = values

    def _dump(self) -> str:
        return (
            "{"
            + ", ".join(f"{k._dump()}: {v._dump()}" for k, v in zip(self.keys, self.values, strict=True))
            + "}"
        )


class Unary(Expr):
    """Prefix ``+ - ! not`` or postfix ``is empty``/``is not empty``/``is defined``/``is not defined``.

    ``op`` is the operator as written (``!`` and ``not`` both mean logical not). For postfix
    operators ``pos`` is the operand's start and ``op_pos`` is where ``is`` is.
    """

    __slots__ = ("op", "op_pos", "operand")
    _fields = ("operand",)

    def __init__(self, pos: int, op_pos: int, op: str, operand: Expr) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.op = op
        self.operand = operand

    def _dump(self) -> str:
        return f"({self.op.replace(' ', '-')} {self.operand._dump()})"


class Binary(Expr):
    """Binary operator; ``op`` is one of the keys of ``tokens.BINARY_PRECEDENCE`` or a two-word form
    (``is not``, ``not in``, ``not contains``, ``not matches``)."""

    __slots__ = ("left", "op", "op_pos", "right")
    _fields = ("left", "right")

    def __init__(self, pos: int, op_pos: int, op: str, left: Expr, right: Expr) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.op = op
        self.left = left
        self.right = right

    def _dump(self) -> str:
        return f"({self.op.replace(' ', '-')} {self.left._dump()} {self.right._dump()})"


class Selector(Expr):
    """``value.name``; ``name`` may be a keyword (``x.map``). ``op_pos`` is the dot."""

    __slots__ = ("name", "op_pos", "value")
    _fields = ("value",)

    def __init__(self, pos: int, op_pos: int, value: Expr, name: str) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.value = value
        self.name = name

    def _dump(self) -> str:
        return f"(. {self.value._dump()} {self.name})"


class Index(Expr):
    """``value[index]``; ``op_pos`` is the ``[``."""

    __slots__ = ("index", "op_pos", "value")
    _fields = ("value", "index")

    def __init__(self, pos: int, op_pos: int, value: Expr, index: Expr) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.value = value
        self.index = index

    def _dump(self) -> str:
        return f"([] {self.value._dump()} {self.index._dump()})"


class Slice(Expr):
    """``value[low:high]``; a missing bound is ``None``."""

    __slots__ = ("high", "low", "op_pos", "value")
    _fields = ("value", "low", "high")

    def __init__(self, pos: int, op_pos: int, value: Expr, low: Expr | None, high: Expr | None) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.value = value
        self.low = low
        self.high = high

    def _dump(self) -> str:
        return f"([:] {self.value._dump()} {_opt(self.low)} {_opt(self.high)})"


class Call(Expr):
    """``func(args...)``; ``op_pos`` is the ``(``."""

    __slots__ = ("args", "func", "op_pos")
    _fields = ("func", "args")

    def __init__(self, pos: int, op_pos: int, func: Expr, args: list[Expr]) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.func = func
        self.args = args

    def _dump(self) -> str:
        return "(call " + " ".join([self.func._dump(), *(a._dump() for a in self.args)]) + ")"


class FuncLit(Expr):
    """``func(params) { body }``; ``pos`` is the ``func`` keyword."""

    __slots__ = ("body", "params")
    _fields = ("body",)

    def __init__(self, pos: int, params: list[str], body: list[Stmt]) -> None:
        self.pos = pos
        self.params = params
        self.body = body

    def _dump(self) -> str:
        return f"(func ({' '.join(self.params)}){_block(self.body)})"


class RuleLit(Expr):
    """``rule [when cond] { body }``: lazy and memoized at run time."""

    __slots__ = ("body", "when")
    _fields = ("when", "body")

    def __init__(self, pos: int, when: Expr | None, body: Expr) -> None:
        self.pos = pos
        self.when = when
        self.body = body

    def _dump(self) -> str:
        when = f" (when {self.when._dump()})" if self.when is not None else ""
        return f"(rule{when} {self.body._dump()})"


class Quantifier(Expr):
    """``op collection as first[, second] { body }`` with ``op`` in ``all any filter map``.

    With one name (``second is None``) it is bound to the element of a list or the key of a map;
    with two, ``first`` is the index or key and ``second`` the value (spec, "Quantifier Expressions").
    """

    __slots__ = ("body", "collection", "first", "op", "second")
    _fields = ("collection", "body")

    def __init__(
        self, pos: int, op: str, collection: Expr, first: str, second: str | None, body: Expr
    ) -> None:
        self.pos = pos
        self.op = op
        self.collection = collection
        self.first = first
        self.second = second
        self.body = body

    def _dump(self) -> str:
        names = self.first if self.second is None else f"{self.first} {self.second}"
        return f"({self.op} {self.collection._dump()} ({names}) {self.body._dump()})"


# --- statements -------------------------------------------------------------------------------------


class Import(Stmt):
    """``import "path" [as alias]``; choosing the bound name is left to the evaluator."""

    __slots__ = ("alias", "path")

    def __init__(self, pos: int, path: str, alias: str | None) -> None:
        self.pos = pos
        self.path = path
        self.alias = alias

    def _dump(self) -> str:
        alias = f" as {self.alias}" if self.alias is not None else ""
        return f"(import {json.dumps(self.path)}{alias})"


class Param(Stmt):
    """``param name [default literal]``; the parser checks that ``default`` is a literal."""

    __slots__ = ("default", "name")
    _fields = ("default",)

    def __init__(self, pos: int, name: str, default: Expr | None) -> None:
        self.pos = pos
        self.name = name
        self.default = default

    def _dump(self) -> str:
        default = f" default {self.default._dump()}" if self.default is not None else ""
        return f"(param {self.name}{default})"


class Assign(Stmt):
    """``target op value`` with ``op`` in ``= += -= *= /= %=``; ``target`` is an :class:`Ident` or an
    :class:`Index` whose chain of indexes and selectors starts at an identifier."""

    __slots__ = ("op", "op_pos", "target", "value")
    _fields = ("target", "value")

    def __init__(self, pos: int, op_pos: int, op: str, target: Expr, value: Expr) -> None:
        self.pos = pos
        self.op_pos = op_pos
        self.op = op
        self.target = target
        self.value = value

    def _dump(self) -> str:
        return f"({self.op} {self.target._dump()} {self.value._dump()})"


class ExprStmt(Stmt):
    __slots__ = ("expr",)
    _fields = ("expr",)

    def __init__(self, pos: int, expr: Expr) -> None:
        self.pos = pos
        self.expr = expr

    def _dump(self) -> str:
        return f"(expr {self.expr._dump()})"


class If(Stmt):
    """``if cond { body } else ...``: ``orelse`` is empty, a block, or ``[If]`` for ``else if``."""

    __slots__ = ("body", "cond", "orelse")
    _fields = ("cond", "body", "orelse")

    def __init__(self, pos: int, cond: Expr, body: list[Stmt], orelse: list[Stmt]) -> None:
        self.pos = pos
        self.cond = cond
        self.body = body
        self.orelse = orelse

    def _dump(self) -> str:
        orelse = f" (else{_block(self.orelse)})" if self.orelse else ""
        return f"(if {self.cond._dump()} (then{_block(self.body)}){orelse})"


class CaseClause(Node):
    """``when e1, e2: body`` or, with ``exprs`` empty, the ``else:`` clause."""

    __slots__ = ("body", "exprs")
    _fields = ("exprs", "body")

    def __init__(self, pos: int, exprs: list[Expr], body: list[Stmt]) -> None:
        self.pos = pos
        self.exprs = exprs
        self.body = body

    def _dump(self) -> str:
        if not self.exprs:
            return f"(else{_block(self.body)})"
        return f"(when ({' '.join(e._dump() for e in self.exprs)}){_block(self.body)})"


class Case(Stmt):
    """``case [subject] { when ...: ... else: ... }``; ``subject is None`` means ``case true``.

    ``clauses`` holds the ``when`` clauses in order; ``default`` the ``else`` clause, if any.
    """

    __slots__ = ("clauses", "default", "subject")
    _fields = ("subject", "clauses", "default")

    def __init__(
        self, pos: int, subject: Expr | None, clauses: list[CaseClause], default: CaseClause | None
    ) -> None:
        self.pos = pos
        self.subject = subject
        self.clauses = clauses
        self.default = default

    def _dump(self) -> str:
        parts = [c._dump() for c in self.clauses]
        if self.default is not None:
            parts.append(self.default._dump())
        subject = f" {self.subject._dump()}" if self.subject is not None else ""
        return f"(case{subject}{''.join(' ' + p for p in parts)})"


class For(Stmt):
    """``for collection as first[, second] { body }``; names as for :class:`Quantifier`."""

    __slots__ = ("body", "collection", "first", "second")
    _fields = ("collection", "body")

    def __init__(self, pos: int, collection: Expr, first: str, second: str | None, body: list[Stmt]) -> None:
        self.pos = pos
        self.collection = collection
        self.first = first
        self.second = second
        self.body = body

    def _dump(self) -> str:
        names = self.first if self.second is None else f"{self.first} {self.second}"
        return f"(for {self.collection._dump()} ({names}){_block(self.body)})"


class Break(Stmt):
    __slots__ = ()

    def __init__(self, pos: int) -> None:
        self.pos = pos

    def _dump(self) -> str:
        return "(break)"


class Continue(Stmt):
    __slots__ = ()

    def __init__(self, pos: int) -> None:
        self.pos = pos

    def _dump(self) -> str:
        return "(continue)"


class Return(Stmt):
    __slots__ = ("value",)
    _fields = ("value",)

    def __init__(self, pos: int, value: Expr) -> None:
        self.pos = pos
        self.value = value

    def _dump(self) -> str:
        return f"(return {self.value._dump()})"


class FuncDecl(Stmt):
    """``func name(params) { body }``: binds ``name`` to ``func``."""

    __slots__ = ("func", "name")
    _fields = ("func",)

    def __init__(self, pos: int, name: str, func: FuncLit) -> None:
        self.pos = pos
        self.name = name
        self.func = func

    def _dump(self) -> str:
        return f"(funcdecl {self.name} ({' '.join(self.func.params)}){_block(self.func.body)})"


class File(Node):
    """A parsed file: imports, then params, then the other statements, each in source order."""

    __slots__ = ("body", "imports", "params", "source")
    _fields = ("imports", "params", "body")

    def __init__(self, source: Source, imports: list[Import], params: list[Param], body: list[Stmt]) -> None:
        self.pos = 0
        self.source = source
        self.imports = imports
        self.params = params
        self.body = body

    @property
    def filename(self) -> str:
        return self.source.filename

    def _dump(self) -> str:
        return "(file" + _block([*self.imports, *self.params, *self.body]) + ")"


# --- helpers ----------------------------------------------------------------------------------------


def dump(node: Node) -> str:
    """The S-expression of a node: operators prefix, multi-word operators hyphenated (``not-in``),
    ``[a, b]`` and ``{k: v}`` for literals, ``_`` for a missing slice bound."""
    return node._dump()


def _dump_data(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dump_data(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump_data(v) for v in value) + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int):
        return _int_text(value)
    return repr(value)


def _int_text(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # more digits than Python prints in decimal (long hex literals)
        return hex(value)


def _opt(node: Expr | None) -> str:
    return "_" if node is None else node._dump()


def _block(stmts: list[Stmt]) -> str:
    return "".join(" " + s._dump() for s in stmts)


def iter_child_nodes(node: Node) -> Iterator[Node]:
    """Direct children of ``node`` in field order (lists are flattened, ``None`` skipped)."""
    for field in node._fields:
        value = getattr(node, field)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, list):
            yield from value


def walk(node: Node) -> Iterator[Node]:
    """``node`` and all its descendants, depth first, without recursion (deep mocks are fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(iter_child_nodes(current))))
