"""Closure compilation: each AST node becomes a Python closure over a frame list, built once.

Expression closures take the frame and return a value; statement closures return ``None`` to carry
on or a marker (:data:`~.runtime.BREAK`, :data:`~.runtime.CONTINUE`, :data:`~.runtime.RETURN`).
Decisions that do not depend on values are taken here, once: which slot a name lives in, whether
a read must check for an unassigned variable or force a rule, which operand is a literal, how long
a selector chain is. At run time the closures inline the common cases (a selector on a map,
``int + int``, ``str is "literal"``) and call :mod:`.ops` for the rest.

Errors: a closure whose operation can fail catches exceptions around that operation only and marks
them with its source offset (:func:`~.runtime.locate`); zero-cost ``try`` keeps the happy path fast.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from . import ops
from .builtins import PURE, STATEFUL, UNIVERSE
from .errors import SentinelRuntimeError
from .functions import Function, FunctionCode, Rule, RuleCode
from .limits import PACE
from .quantifiers import QUANTIFIERS, snapshot
from .resolve import Resolution, Scope, Var, initial_values
from .runtime import BREAK, CONTINUE, RETURN, UNSET, add_call, locate
from .syntax import ast
from .syntax.errors import Source
from .values import INT64_MAX, INT64_MIN, UNDEFINED, Builtin, Value, type_name, wrap_int

__all__ = ["Code", "CompiledFile", "compile_file"]

Frame = list[Any]
Code = Callable[[Frame], Any]

U: Final = UNDEFINED
_length_hint = operator.length_hint
_CONSTANT_NAMES: Final = {"true": True, "false": False, "null": None, "undefined": U}
_COMPARE: Final = frozenset({"==", "!=", "is", "is not", "<", "<=", ">", ">="})
_MEMBERSHIP: Final = frozenset({"contains", "not contains", "in", "not in", "matches", "not matches"})


class CompiledFile:
    """The compiled form of a file, independent of any evaluation."""

    __slots__ = (
        "body",
        "file_block",
        "globals",
        "imports",
        "main",
        "params",
        "source",
        "statements",
        "template",
    )

    def __init__(self, source: Source) -> None:
        self.source = source
        self.body: Code = _nothing
        self.statements: list[tuple[int, Code]] = []  # (offset, code) of each top-level statement
        self.template: list[Value] = []  # the file frame's initial slots (after the header)
        self.imports: list[tuple[str, int, int]] = []  # (path, slot, offset)
        self.params: list[tuple[str, int, Code | None, int]] = []  # (name, slot, default, offset)
        self.globals: dict[str, int] = {}  # names a caller may inject -> slot
        self.file_block: dict[str, int] = {}  # names the file declares -> slot (module exports)
        self.main: tuple[int, int] | None = None  # (slot, offset of the first assignment)


def compile_file(
    file: ast.File, res: Resolution, *, record_rules: bool, copy_constants: bool
) -> CompiledFile:
    """Compile a resolved file. ``record_rules`` reports named top-level rules in the result;
    ``copy_constants`` copies literal data on each evaluation (needed when the program is reused)."""
    return _Compiler(file, res, record_rules=record_rules, copy_constants=copy_constants).run()


def _nothing(f: Frame) -> None:
    return None


def _copy_data(value: Any) -> Any:
    if type(value) is list:
        return [_copy_data(v) if type(v) is list or type(v) is dict else v for v in value]
    if type(value) is dict:
        return {k: (_copy_data(v) if type(v) is list or type(v) is dict else v) for k, v in value.items()}
    return value


def _sequence_of(codes: list[Code]) -> Code:
    """One closure running statement closures in order until one returns a signal."""
    n = len(codes)
    if n == 0:
        return _nothing
    if n == 1:
        return codes[0]
    if n == 2:
        a, b = codes

        def block2(f: Frame) -> Any:
            r = a(f)
            if r is not None:
                return r
            return b(f)

        return block2
    if n == 3:
        a, b, c = codes

        def block3(f: Frame) -> Any:
            r = a(f)
            if r is not None:
                return r
            r = b(f)
            if r is not None:
                return r
            return c(f)

        return block3
    seq = tuple(codes)

    def block_n(f: Frame) -> Any:
        for code in seq:
            r = code(f)
            if r is not None:
                return r
        return None

    return block_n


def _constant(value: Value) -> Code:
    return lambda f: value


class _Compiler:
    def __init__(self, file: ast.File, res: Resolution, *, record_rules: bool, copy_constants: bool) -> None:
        self.file = file
        self.res = res
        self.src: Source = file.source
        self.record_rules = record_rules
        self.copy_constants = copy_constants
        self.scope: Scope = res.file_scope
        self.main_offset: int | None = None

    # --- file -------------------------------------------------------------------------------------------

    def run(self) -> CompiledFile:
        res = self.res
        out = CompiledFile(self.src)
        codes = [self.stmt(s) for s in self.file.body]
        out.statements = [(s.pos, code) for s, code in zip(self.file.body, codes, strict=True)]
        out.body = _sequence_of(codes)
        out.template = initial_values(res.file_scope, UNIVERSE, UNSET)
        out.imports = [(imp.path, var.index, imp.pos) for imp, var in res.imports]
        for param, var in res.params:
            default = self.expr(param.default) if param.default is not None else None
            out.params.append((param.name, var.index, default, param.pos))
        out.file_block = {name: var.index for name, var in res.file_block.items()}
        out.globals = dict(out.file_block)
        out.globals.update((name, var.index) for name, var in res.file_scope.externals.items())
        main = res.file_block.get("main")
        if main is not None:
            out.main = (main.index, self.main_offset if self.main_offset is not None else 0)
        return out

    def error_code(
        self, offset: int, message: str, exc_type: type[SentinelRuntimeError] = SentinelRuntimeError
    ) -> Code:
        src = self.src

        def fail(f: Frame) -> Any:
            raise locate(exc_type(message), src, offset)

        return fail

    # --- variables --------------------------------------------------------------------------------------

    def getter(self, var: Var) -> Code:
        """Raw slot access (no unset check, no rule forcing) for ``var`` from the current scope."""
        i = var.index
        hops = self.scope.depth - var.scope.depth
        if hops == 0:
            return lambda f: f[i]
        if var.scope.depth == 0:
            return lambda f: f[1][i]
        if hops == 1:
            return lambda f: f[0][i]
        if hops == 2:
            return lambda f: f[0][0][i]

        def far(f: Frame) -> Any:
            for _ in range(hops):
                f = f[0]
            return f[i]

        return far

    def frame_of(self, var: Var) -> Callable[[Frame], Frame]:
        hops = self.scope.depth - var.scope.depth
        if hops == 0:
            return lambda f: f
        if var.scope.depth == 0:
            return lambda f: f[1]

        def far(f: Frame) -> Frame:
            for _ in range(hops):
                f = f[0]
            return f

        return far

    def read(self, var: Var, offset: int) -> Code:
        """A read of ``var``: checks for an unassigned slot and forces rules where that can happen."""
        src = self.src
        name = var.name
        i = var.index
        direct = self.scope.depth == var.scope.depth
        get = self.getter(var)

        def unset() -> Exception:
            if var.scope.depth == 0 and name in self.res.file_scope.externals:
                message = f'"{name}" is not defined'
            else:
                message = f'"{name}" is used before it is assigned'
            return locate(SentinelRuntimeError(message), src, offset)

        if var.may_hold_rule:

            def read_rule(f: Frame) -> Any:
                v = get(f)
                if type(v) is Rule:
                    try:
                        return v.force(f[2])
                    except Exception as exc:
                        raise locate(exc, src, offset) from None
                if v is UNSET:
                    raise unset()
                return v

            return read_rule
        if not var.checked:
            return get
        if direct:

            def read_local(f: Frame) -> Any:
                v = f[i]
                if v is UNSET:
                    raise unset()
                return v

            return read_local

        def read_checked(f: Frame) -> Any:
            v = get(f)
            if v is UNSET:
                raise unset()
            return v

        return read_checked

    def setter(self, var: Var) -> Callable[[Frame, Value], None]:
        i = var.index
        hops = self.scope.depth - var.scope.depth
        if hops == 0:

            def set_local(f: Frame, v: Value) -> None:
                f[i] = v

            return set_local
        frame_of = self.frame_of(var)

        def set_outer(f: Frame, v: Value) -> None:
            frame_of(f)[i] = v

        return set_outer

    def direct_slot(self, node: ast.Expr) -> int | None:
        """The slot index when ``node`` reads a local that needs no checks (loop names, parameters)."""
        if type(node) is not ast.Ident:
            return None
        var = self.res.refs.get(node)
        if var is None or var.checked or var.may_hold_rule or var.scope.depth != self.scope.depth:
            return None
        return var.index

    # --- statements -------------------------------------------------------------------------------------

    def block(self, stmts: list[ast.Stmt]) -> Code:
        return _sequence_of([self.stmt(s) for s in stmts])

    def stmt(self, node: ast.Stmt) -> Code:
        kind = type(node)
        if kind is ast.Assign:
            return self.assign(node)  # type: ignore[arg-type]
        if kind is ast.ExprStmt:
            expr = self.expr(node.expr)  # type: ignore[attr-defined]

            def expr_stmt(f: Frame) -> None:
                expr(f)

            return expr_stmt
        if kind is ast.If:
            return self.if_stmt(node)  # type: ignore[arg-type]
        if kind is ast.For:
            return self.for_stmt(node)  # type: ignore[arg-type]
        if kind is ast.Case:
            return self.case_stmt(node)  # type: ignore[arg-type]
        if kind is ast.Return:
            value = self.expr(node.value)  # type: ignore[attr-defined]

            def return_stmt(f: Frame) -> Any:
                f[3] = value(f)
                return RETURN

            return return_stmt
        if kind is ast.Break:
            return lambda f: BREAK
        if kind is ast.Continue:
            return lambda f: CONTINUE
        if kind is ast.FuncDecl:
            var = self.res.refs[node]
            assert var is not None
            make = self.func_lit(node.func, node.name)  # type: ignore[attr-defined]
            put = self.setter(var)

            def func_decl(f: Frame) -> None:
                put(f, make(f))

            return func_decl
        return self.error_code(node.pos, f"unsupported statement {kind.__name__}")

    def assign(self, node: ast.Assign) -> Code:
        target = node.target
        src, off = self.src, node.op_pos
        if type(target) is ast.Ident:
            var = self.res.refs[target]
            assert var is not None
            if (
                self.main_offset is None
                and var.name == "main"
                and var.scope.depth == 0
                and self.res.file_block.get("main") is var
            ):
                self.main_offset = target.pos
            hint = target.name if type(node.value) in (ast.RuleLit, ast.FuncLit) else None
            at_file_level = var.scope.depth == 0 and self.scope.depth == 0
            value = self.expr(node.value, name=hint, defined_at=target.pos if at_file_level else None)
            if node.op == "=":
                i = var.index
                if self.scope.depth == var.scope.depth:

                    def assign_local(f: Frame) -> None:
                        f[i] = value(f)

                    return assign_local
                put = self.setter(var)

                def assign_outer(f: Frame) -> None:
                    put(f, value(f))

                return assign_outer
            current = self.read(var, target.pos)
            put = self.setter(var)
            binop = _BINOPS[node.op[:-1]]

            def op_assign(f: Frame) -> None:
                a = current(f)
                b = value(f)
                try:
                    result = binop(a, b, f[2])
                except Exception as exc:
                    raise locate(exc, src, off) from None
                put(f, result)

            return op_assign
        # Index target: the right-hand side first, then the container and the index (spec).
        assert isinstance(target, ast.Index)
        value = self.expr(node.value)
        container = self.expr(target.value)
        key = self.expr(target.index)
        store = ops.store
        if node.op == "=":

            def assign_index(f: Frame) -> None:
                v = value(f)
                c = container(f)
                k = key(f)
                try:
                    store(c, k, v, f[2].max_items)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return assign_index
        binop = _BINOPS[node.op[:-1]]
        index = ops.index

        def op_assign_index(f: Frame) -> None:
            v = value(f)
            c = container(f)
            k = key(f)
            try:
                store(c, k, binop(index(c, k), v, f[2]), f[2].max_items)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return op_assign_index

    def if_stmt(self, node: ast.If) -> Code:
        # Compile else-if chains from the innermost out, without recursion.
        chain: list[ast.If] = [node]
        while len(chain[-1].orelse) == 1 and type(chain[-1].orelse[0]) is ast.If:
            chain.append(chain[-1].orelse[0])  # type: ignore[arg-type]
        code = self.block(chain[-1].orelse)
        for item in reversed(chain):
            code = self._if(item, code)
        return code

    def _if(self, node: ast.If, orelse: Code) -> Code:
        cond = self.expr(node.cond)
        body = self.block(node.body)
        src, off = self.src, node.cond.pos

        def if_stmt(f: Frame) -> Any:
            c = cond(f)
            if c is True:
                return body(f)
            if c is not False:
                f[2].note(src, off, f"if condition is {type_name(c)}, not a bool: taking the else branch")
            return orelse(f)

        return if_stmt

    def case_stmt(self, node: ast.Case) -> Code:
        subject = self.expr(node.subject) if node.subject is not None else _constant(True)
        clauses = tuple((tuple(self.expr(e) for e in c.exprs), self.block(c.body)) for c in node.clauses)
        default = self.block(node.default.body) if node.default is not None else None
        equal = ops.equal
        src, off = self.src, node.pos

        def case_stmt(f: Frame) -> Any:
            s = subject(f)
            for exprs, body in clauses:
                for e in exprs:
                    try:
                        matched = equal(s, e(f))
                    except Exception as exc:
                        raise locate(exc, src, off) from None
                    if matched is True:
                        return body(f)
            if default is not None:
                return default(f)
            return None

        return case_stmt

    def for_stmt(self, node: ast.For) -> Code:
        coll = self.expr(node.collection)
        var1, var2 = self.res.loop_vars[node]
        i1 = var1.index
        i2 = var2.index if var2 is not None else -1
        two = var2 is not None
        body = self.block(node.body)
        src, off = self.src, node.pos

        def for_stmt(f: Frame) -> Any:
            c = coll(f)
            seq = snapshot(c, two)
            if seq is None:
                if c is U:
                    f[2].note(src, off, "for over undefined: the loop body did not run")
                    return None
                raise locate(
                    SentinelRuntimeError(f"for: cannot iterate over a value of type {type_name(c)}"), src, off
                )
            state = f[2]
            state.budget -= len(seq)
            if state.budget < 0 and (late := state.refill()) is not None:
                raise locate(late, src, off)
            it = iter(seq)
            pace = PACE
            if two:
                for k, v in it:
                    pace -= 1
                    if not pace:
                        pace = PACE
                        if (late := state.pace()) is not None:
                            raise locate(late, src, off)
                    f[i1] = k
                    f[i2] = v
                    r = body(f)
                    if r is not None:
                        if r is CONTINUE:
                            continue
                        state.budget += _length_hint(it)
                        if r is BREAK:
                            return None
                        return r
            else:
                for k in it:
                    pace -= 1
                    if not pace:
                        pace = PACE
                        if (late := state.pace()) is not None:
                            raise locate(late, src, off)
                    f[i1] = k
                    r = body(f)
                    if r is not None:
                        if r is CONTINUE:
                            continue
                        state.budget += _length_hint(it)
                        if r is BREAK:
                            return None
                        return r
            return None

        return for_stmt

    # --- expressions ------------------------------------------------------------------------------------

    def expr(
        self,
        node: ast.Expr,
        *,
        name: str | None = None,
        readonly: bool = False,
        defined_at: int | None = None,
    ) -> Code:
        """Compile an expression. ``name`` names a function or rule literal (its assignment target),
        ``defined_at`` is where a top-level rule's name is assigned (its reported position);
        ``readonly`` marks operands that cannot leak literal data to code that mutates it."""
        kind = type(node)
        if kind is ast.Ident:
            return self.ident(node)  # type: ignore[arg-type]
        if kind is ast.Selector:
            return self.selector(node)  # type: ignore[arg-type]
        if kind is ast.String or kind is ast.Float:
            return _constant(node.value)  # type: ignore[attr-defined]
        if kind is ast.Int:
            return _constant(wrap_int(node.value))  # type: ignore[attr-defined]
        if kind is ast.Binary:
            return self.binary(node)  # type: ignore[arg-type]
        if kind is ast.Index:
            return self.index(node)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self.call(node)  # type: ignore[arg-type]
        if kind is ast.Unary:
            return self.unary(node)  # type: ignore[arg-type]
        if kind is ast.Quantifier:
            return self.quantifier(node)  # type: ignore[arg-type]
        if kind is ast.Constant:
            data = node.value  # type: ignore[attr-defined]
            if readonly or not self.copy_constants:
                return _constant(data)
            return lambda f: _copy_data(data)
        if kind is ast.ListLit:
            return self.list_lit(node)  # type: ignore[arg-type]
        if kind is ast.MapLit:
            return self.map_lit(node)  # type: ignore[arg-type]
        if kind is ast.Slice:
            return self.slice(node)  # type: ignore[arg-type]
        if kind is ast.FuncLit:
            return self.func_lit(node, name)  # type: ignore[arg-type]
        if kind is ast.RuleLit:
            return self.rule_lit(node, name, defined_at)  # type: ignore[arg-type]
        return self.error_code(node.pos, f"unsupported expression {kind.__name__}")

    def const_of(self, node: ast.Expr) -> tuple[bool, Value]:
        """``(True, value)`` for a scalar literal (including unshadowed ``true``, ``null``, ...)."""
        kind = type(node)
        if kind is ast.String or kind is ast.Float:
            return True, node.value  # type: ignore[attr-defined]
        if kind is ast.Int:
            return True, wrap_int(node.value)  # type: ignore[attr-defined]
        if kind is ast.Ident and self.res.refs.get(node) is None:
            name = node.name  # type: ignore[attr-defined]
            if name in _CONSTANT_NAMES:
                return True, _CONSTANT_NAMES[name]
        return False, None

    def ident(self, node: ast.Ident) -> Code:
        var = self.res.refs.get(node)
        if var is None:
            return _constant(UNIVERSE[node.name])
        return self.read(var, node.pos)

    def selector(self, node: ast.Selector) -> Code:
        # Flatten a.b.c.d into one closure walking a tuple of names.
        names: list[str] = []
        offsets: list[int] = []
        base: ast.Expr = node
        while type(base) is ast.Selector:
            names.append(base.name)  # type: ignore[attr-defined]
            offsets.append(base.op_pos)  # type: ignore[attr-defined]
            base = base.value  # type: ignore[attr-defined]
        names.reverse()
        offsets.reverse()
        src = self.src
        select = ops.select
        slot = self.direct_slot(base)
        if len(names) == 1:
            key, off = names[0], offsets[0]
            if slot is not None:
                i = slot

                def select_slot(f: Frame) -> Any:
                    v = f[i]
                    if type(v) is dict:
                        return v.get(key, U)
                    try:
                        return select(v, key)
                    except Exception as exc:
                        raise locate(exc, src, off) from None

                return select_slot
            value = self.expr(base)

            def select1(f: Frame) -> Any:
                v = value(f)
                if type(v) is dict:
                    return v.get(key, U)
                try:
                    return select(v, key)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return select1
        steps = tuple(zip(names, offsets, strict=True))
        if slot is not None:
            i = slot

            def select_chain_slot(f: Frame) -> Any:
                v = f[i]
                for key, off in steps:
                    if type(v) is dict:
                        v = v.get(key, U)
                    elif v is U or v is None:
                        return U
                    else:
                        try:
                            v = select(v, key)
                        except Exception as exc:
                            raise locate(exc, src, off) from None
                return v

            return select_chain_slot
        value = self.expr(base)

        def select_chain(f: Frame) -> Any:
            v = value(f)
            for key, off in steps:
                if type(v) is dict:
                    v = v.get(key, U)
                elif v is U or v is None:
                    return U
                else:
                    try:
                        v = select(v, key)
                    except Exception as exc:
                        raise locate(exc, src, off) from None
            return v

        return select_chain

    def index(self, node: ast.Index) -> Code:
        value = self.expr(node.value)
        src, off = self.src, node.op_pos
        index = ops.index
        is_const, key_value = self.const_of(node.index)
        if is_const and type(key_value) is str:
            key = key_value

            def index_str(f: Frame) -> Any:
                v = value(f)
                if type(v) is dict:
                    return v.get(key, U)
                try:
                    return index(v, key)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return index_str
        key_code = self.expr(node.index, readonly=True)

        def index_any(f: Frame) -> Any:
            v = value(f)
            k = key_code(f)
            if type(v) is dict and type(k) is str:
                return v.get(k, U)
            try:
                return index(v, k)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return index_any

    def slice(self, node: ast.Slice) -> Code:
        value = self.expr(node.value)
        low = self.expr(node.low) if node.low is not None else _constant(None)
        high = self.expr(node.high) if node.high is not None else _constant(None)
        src, off = self.src, node.op_pos
        slice_value = ops.slice_value

        def slice_expr(f: Frame) -> Any:
            v = value(f)
            lo = low(f)
            hi = high(f)
            try:
                return slice_value(v, lo, hi)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return slice_expr

    def list_lit(self, node: ast.ListLit) -> Code:
        elts = tuple(self.expr(e) for e in node.elts)
        if not elts:
            return lambda f: []
        return lambda f: [e(f) for e in elts]

    def map_lit(self, node: ast.MapLit) -> Code:
        pairs = tuple(
            (self.expr(k, readonly=True), self.expr(v), k.pos)
            for k, v in zip(node.keys, node.values, strict=True)
        )
        src = self.src

        def map_lit(f: Frame) -> Any:
            out: dict[Any, Any] = {}
            for key, value, off in pairs:
                k = key(f)
                tk = type(k)
                if tk is not str and tk is not int and tk is not bool and tk is not float:
                    raise locate(
                        SentinelRuntimeError(
                            f"invalid map key of type {type_name(k)} (keys are strings, numbers or bools)"
                        ),
                        src,
                        off,
                    )
                out[k] = value(f)
            return out

        return map_lit

    # --- operators --------------------------------------------------------------------------------------

    def unary(self, node: ast.Unary) -> Code:
        op = node.op
        operand = self.expr(
            node.operand, readonly=op in ("is empty", "is not empty", "is defined", "is not defined")
        )
        src, off = self.src, node.op_pos
        if op == "is defined":
            return lambda f: operand(f) is not U
        if op == "is not defined":
            return lambda f: operand(f) is U
        fn: Callable[[Value], Value]
        if op == "-":
            fn = ops.negate
        elif op == "+":
            fn = ops.plus
        elif op == "!" or op == "not":
            fn = ops.logical_not

            def not_expr(f: Frame) -> Any:
                v = operand(f)
                if v is True:
                    return False
                if v is False:
                    return True
                try:
                    return fn(v)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return not_expr
        elif op == "is empty":
            fn = ops.is_empty
        elif op == "is not empty":
            is_empty = ops.is_empty

            def fn(v: Value) -> Value:
                r = is_empty(v)
                return r if r is U else not r

        else:
            return self.error_code(off, f"unsupported operator {op}")

        def unary_expr(f: Frame) -> Any:
            v = operand(f)
            try:
                return fn(v)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return unary_expr

    def binary(self, node: ast.Binary) -> Code:
        op = node.op
        if op == "and" or op == "or":
            return self.logical_chain(node)
        readonly = op in _COMPARE or op in _MEMBERSHIP
        left = self.expr(node.left, readonly=readonly)
        right = self.expr(node.right, readonly=readonly)
        src, off = self.src, node.op_pos
        if op == "else":

            def else_expr(f: Frame) -> Any:
                v = left(f)
                return right(f) if v is U else v

            return else_expr
        if op in ("==", "is", "!=", "is not"):
            return self.equality(node, left, right, negate=op in ("!=", "is not"))
        if op == "+" or op == "-" or op == "*":
            return _arith(op, left, right, src, off)
        if op in ("<", "<=", ">", ">="):
            return _ordering(op, left, right, src, off)
        if op in ("contains", "not contains", "in", "not in"):
            return self.membership(node, left, right)
        if op == "xor":
            fn: Callable[[Value, Value], Value] = _xor
        elif op == "matches":
            fn = ops.matches
        elif op == "not matches":
            matches = ops.matches

            def fn(a: Value, b: Value) -> Value:
                r = matches(a, b)
                return r if r is U else not r

        elif op == "/":
            fn = ops.div
        elif op == "%":
            fn = ops.mod
        else:
            return self.error_code(off, f"unsupported operator {op}")

        def binary_expr(f: Frame) -> Any:
            a = left(f)
            b = right(f)
            try:
                return fn(a, b)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return binary_expr

    def equality(self, node: ast.Binary, left: Code, right: Code, *, negate: bool) -> Code:
        equal = ops.not_equal if negate else ops.equal
        src, off = self.src, node.op_pos
        const_right, rv = self.const_of(node.right)
        const_left, lv = self.const_of(node.left)
        if const_left and not const_right:  # "x" == y: compare the same way
            left, right, rv, const_right = right, left, lv, True
        if const_right and type(rv) in (str, int):
            c = rv
            tc = type(rv)
            if negate:

                def ne_const(f: Frame) -> Any:
                    a = left(f)
                    if type(a) is tc:
                        return a != c
                    try:
                        return equal(a, c)
                    except Exception as exc:
                        raise locate(exc, src, off) from None

                return ne_const

            def eq_const(f: Frame) -> Any:
                a = left(f)
                if type(a) is tc:
                    return a == c
                try:
                    return equal(a, c)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return eq_const
        if const_right and rv is None:
            if negate:

                def is_not_null(f: Frame) -> Any:
                    a = left(f)
                    return U if a is U else a is not None

                return is_not_null

            def is_null(f: Frame) -> Any:
                a = left(f)
                return U if a is U else a is None

            return is_null

        def eq_any(f: Frame) -> Any:
            a = left(f)
            b = right(f)
            ta = type(a)
            if ta is type(b) and (ta is str or ta is int):
                return (a != b) if negate else (a == b)
            try:
                return equal(a, b)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return eq_any

    def membership(self, node: ast.Binary, left: Code, right: Code) -> Code:
        op = node.op
        negate = op.startswith("not ")
        coll_first = not op.endswith("in")  # `item in coll` has the collection on the right
        item_node = node.right if coll_first else node.left
        coll, item = (left, right) if coll_first else (right, left)
        src, off = self.src, node.op_pos
        contains = ops.contains
        const_item, iv = self.const_of(item_node)
        if const_item and type(iv) is str:
            needle = iv

            def has_str(f: Frame) -> Any:
                c = coll(f)
                tc = type(c)
                if tc is list or tc is dict or tc is str:
                    r = needle in c
                    return (not r) if negate else r
                try:
                    r = contains(c, needle)
                except Exception as exc:
                    raise locate(exc, src, off) from None
                return r if r is U or not negate else not r

            return has_str

        def has(f: Frame) -> Any:
            if coll_first:
                c = coll(f)
                x = item(f)
            else:
                x = item(f)
                c = coll(f)
            if type(x) is str and (type(c) is list or type(c) is dict):
                r = x in c
                return (not r) if negate else r
            try:
                r = contains(c, x)
            except Exception as exc:
                raise locate(exc, src, off) from None
            return r if r is U or not negate else not r

        return has

    def logical_chain(self, node: ast.Binary) -> Code:
        """``a and b and c`` (or ``or``) as one closure over the operands, left to right."""
        op = node.op
        operands: list[tuple[ast.Expr, int]] = []
        current: ast.Expr = node
        while type(current) is ast.Binary and current.op == op:  # type: ignore[attr-defined]
            operands.append((current.right, current.op_pos))  # type: ignore[attr-defined]
            current = current.left  # type: ignore[attr-defined]
        operands.append((current, node.op_pos))
        operands.reverse()
        codes = tuple((self.expr(n), off) for n, off in operands)
        src = self.src

        def bad(v: Value, off: int) -> Exception:
            return locate(
                SentinelRuntimeError(f"unsupported operand type for {op}: {type_name(v)} (expected a bool)"),
                src,
                off,
            )

        if op == "and":
            if len(codes) == 2:
                (a, aoff), (b, boff) = codes

                def and2(f: Frame) -> Any:
                    v = a(f)
                    if v is True:
                        w = b(f)
                        if w is True or w is False or w is U:
                            return w
                        raise bad(w, boff)
                    if v is False or v is U:
                        return v
                    raise bad(v, aoff)

                return and2

            def and_n(f: Frame) -> Any:
                for code, off in codes:
                    v = code(f)
                    if v is not True:
                        if v is False or v is U:
                            return v
                        raise bad(v, off)
                return True

            return and_n

        if len(codes) == 2:
            (a, aoff), (b, boff) = codes

            def or2(f: Frame) -> Any:
                v = a(f)
                if v is True:
                    return True
                if v is not False and v is not U:
                    raise bad(v, aoff)
                w = b(f)
                if w is True:
                    return True
                if w is False:
                    return v  # false or false = false; undefined or false = undefined
                if w is U:
                    return U
                raise bad(w, boff)

            return or2

        def or_n(f: Frame) -> Any:
            result: Any = False
            for code, off in codes:
                v = code(f)
                if v is True:
                    return True
                if v is U:
                    result = U
                elif v is not False:
                    raise bad(v, off)
            return result

        return or_n

    # --- calls ------------------------------------------------------------------------------------------

    def call(self, node: ast.Call) -> Code:
        src, off = self.src, node.pos
        args = tuple(self.expr(a) for a in node.args)
        fnode = node.func
        if type(fnode) is ast.Ident and self.res.refs.get(fnode) is None:
            name = fnode.name  # type: ignore[attr-defined]
            direct = self.builtin_call(name, args, off)
            if direct is not None:
                return direct
        func = self.expr(fnode)
        nargs = len(args)

        def dispatch(fn: Any, argv: list[Value], f: Frame) -> Any:
            if type(fn) is Function:
                try:
                    return fn.invoke(argv, f[2])
                except Exception as exc:
                    raise add_call(exc, src, off, fn.code.name) from None
            try:
                if type(fn) is Builtin:
                    return fn.fn(*argv)
                if callable(fn) and not isinstance(fn, type) and type(fn) is not Rule:
                    return fn(*argv)
                raise SentinelRuntimeError(f"cannot call a value of type {type_name(fn)}")
            except Exception as exc:
                raise locate(exc, src, off) from None

        if nargs == 0:
            return lambda f: dispatch(func(f), [], f)
        if nargs == 1:
            (a0,) = args

            def call1(f: Frame) -> Any:
                fn = func(f)
                argv = [a0(f)]
                if type(fn) is Function:
                    try:
                        return fn.invoke(argv, f[2])
                    except Exception as exc:
                        raise add_call(exc, src, off, fn.code.name) from None
                return dispatch(fn, argv, f)

            return call1
        if nargs == 2:
            a0, a1 = args

            def call2(f: Frame) -> Any:
                fn = func(f)
                argv = [a0(f), a1(f)]
                if type(fn) is Function:
                    try:
                        return fn.invoke(argv, f[2])
                    except Exception as exc:
                        raise add_call(exc, src, off, fn.code.name) from None
                return dispatch(fn, argv, f)

            return call2

        def call_n(f: Frame) -> Any:
            fn = func(f)
            return dispatch(fn, [a(f) for a in args], f)

        return call_n

    def builtin_call(self, name: str, args: tuple[Code, ...], off: int) -> Code | None:
        """Calls of unshadowed predeclared functions, bound at compile time."""
        src = self.src
        stateful = STATEFUL.get(name)
        pure = PURE.get(name)
        if stateful is None and pure is None:
            return None  # a constant such as `null(...)`: the generic path reports it
        if name == "length" and len(args) == 1:
            (a0,) = args
            length = ops.length

            def length1(f: Frame) -> Any:
                v = a0(f)
                t = type(v)
                if t is list or t is dict:
                    return len(v)
                try:
                    return length(v)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return length1
        if stateful is not None:
            fn_s = stateful

            def call_stateful(f: Frame) -> Any:
                argv = [a(f) for a in args]
                try:
                    return fn_s(f[2], *argv)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return call_stateful
        assert pure is not None
        fn_p = pure
        if len(args) == 1:
            (a0,) = args

            def call_pure1(f: Frame) -> Any:
                v = a0(f)
                try:
                    return fn_p(v)
                except Exception as exc:
                    raise locate(exc, src, off) from None

            return call_pure1

        def call_pure(f: Frame) -> Any:
            argv = [a(f) for a in args]
            try:
                return fn_p(*argv)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return call_pure

    def func_lit(self, node: ast.FuncLit, name: str | None) -> Code:
        scope = self.res.functions[node]
        outer = self.scope
        self.scope = scope
        try:
            body = self.block(node.body)
        finally:
            self.scope = outer
        tail = initial_values(scope, UNIVERSE, UNSET)[len(node.params) :]
        line, column = self.src.line_col(node.pos)
        label = name if name is not None else f"<func at {line}:{column}>"
        code = FunctionCode(label, list(node.params), body, tail, self.src, node.pos)
        return lambda f: Function(code, f)

    def rule_lit(self, node: ast.RuleLit, name: str | None, defined_at: int | None) -> Code:
        body = self.expr(node.body)
        when = self.expr(node.when) if node.when is not None else None
        record = self.record_rules and name is not None and defined_at is not None
        if name is None:
            line, column = self.src.line_col(node.pos)
            name = f"<rule at {line}:{column}>"
        code = RuleCode(
            name, body, when, self.src, defined_at if defined_at is not None else node.pos, record
        )
        return lambda f: Rule(code, f)

    # --- quantifiers ------------------------------------------------------------------------------------

    def quantifier(self, node: ast.Quantifier) -> Code:
        coll = self.expr(node.collection)
        var1, var2 = self.res.loop_vars[node]
        body = self.expr(node.body)
        src, off = self.src, node.pos
        return QUANTIFIERS[node.op](coll, body, var1.index, var2.index if var2 is not None else -1, src, off)


# --- operator helpers -----------------------------------------------------------------------------------


def _xor(a: Value, b: Value) -> Value:
    a_ok = a is True or a is False or a is U
    b_ok = b is True or b is False or b is U
    if a_ok and b_ok:
        return U if a is U or b is U else a is not b
    bad = b if a_ok else a
    raise SentinelRuntimeError(f"unsupported operand type for xor: {type_name(bad)} (expected a bool)")


def _arith(op: str, left: Code, right: Code, src: Source, off: int) -> Code:
    lo, hi = INT64_MIN, INT64_MAX
    if op == "+":
        add = ops.add

        def add_expr(f: Frame) -> Any:
            a = left(f)
            b = right(f)
            if type(a) is int and type(b) is int:
                c = a + b
                return c if lo <= c <= hi else wrap_int(c)
            try:
                return add(a, b, f[2].max_items)
            except Exception as exc:
                raise locate(exc, src, off) from None

        return add_expr
    slow = ops.sub if op == "-" else ops.mul
    native = operator.sub if op == "-" else operator.mul

    def arith_expr(f: Frame) -> Any:
        a = left(f)
        b = right(f)
        if type(a) is int and type(b) is int:
            c = native(a, b)
            return c if lo <= c <= hi else wrap_int(c)
        try:
            return slow(a, b)
        except Exception as exc:
            raise locate(exc, src, off) from None

    return arith_expr


def _ordering(op: str, left: Code, right: Code, src: Source, off: int) -> Code:
    native = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
    compare = ops.compare

    def ordering_expr(f: Frame) -> Any:
        a = left(f)
        b = right(f)
        if type(a) is int and type(b) is int:
            return native(a, b)
        try:
            return compare(op, a, b)
        except Exception as exc:
            raise locate(exc, src, off) from None

    return ordering_expr


def _binop_add(a: Value, b: Value, state: Any) -> Value:
    return ops.add(a, b, state.max_items)


_BINOPS: Final[dict[str, Callable[[Value, Value, Any], Value]]] = {
    "+": _binop_add,
    "-": lambda a, b, s: ops.sub(a, b),
    "*": lambda a, b, s: ops.mul(a, b),
    "/": lambda a, b, s: ops.div(a, b),
    "%": lambda a, b, s: ops.mod(a, b),
}
