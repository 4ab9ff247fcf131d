"""Name resolution: every variable becomes a slot in a frame, decided once before evaluation.

Sentinel's rule (spec, "Declarations and Scope"): an assignment declares a name only if no
enclosing scope declares it already; otherwise it updates that variable. Scopes are the file, each
function body, and each ``for`` and quantifier (``if`` and ``case`` make none). The resolver
applies the rule per block over the whole block at once (the names a block assigns directly are
declared on entry), so a function can use a global assigned further down the file, as it can at
run time in Sentinel, where functions run after the file's top level.

Reading a name no scope declares is not a compile error (the code may never run): predeclared
names resolve to the universe; anything else gets an *external* slot in the file frame that a
caller's injected globals may fill, and reading it unfilled is a runtime error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from .syntax import ast
from .syntax.errors import SentinelSyntaxError, Source
from .values import Value

__all__ = ["UNIVERSE_NAMES", "Resolution", "Scope", "Var", "import_name", "resolve"]

UNIVERSE_NAMES: Final = frozenset(
    {
        "true",
        "false",
        "null",
        "undefined",
        "append",
        "bool",
        "delete",
        "error",
        "float",
        "int",
        "keys",
        "length",
        "print",
        "range",
        "string",
        "values",
    }
)

HEADER: Final = 4  # must match functions.HEADER (kept literal to avoid an import cycle)


class Scope:
    """One frame layout: the file's or a function's. Blocks inside it only add slots."""

    __slots__ = ("bound", "depth", "externals", "names", "parent", "rule_slots", "shadowed")

    def __init__(self, parent: Scope | None) -> None:
        self.parent = parent
        self.depth: int = 0 if parent is None else parent.depth + 1
        self.names: list[str] = []  # slot HEADER + i holds names[i]
        self.bound: set[int] = set()  # slots that are always assigned when read (params, loop names)
        self.rule_slots: set[int] = set()  # slots a rule literal is assigned to
        self.shadowed: set[int] = set()  # slots named like a predeclared name: start with its value
        self.externals: dict[str, Var] = {}  # file scope: names read but never declared

    def new_slot(self, name: str, *, bound: bool = False) -> Var:
        index = HEADER + len(self.names)
        self.names.append(name)
        if bound:
            self.bound.add(index)
        if name in UNIVERSE_NAMES:
            self.shadowed.add(index)
        return Var(self, index, name)


class Var:
    """A variable: the scope whose frame holds it and its slot index there."""

    __slots__ = ("index", "name", "scope")

    def __init__(self, scope: Scope, index: int, name: str) -> None:
        self.scope = scope
        self.index = index
        self.name = name

    @property
    def checked(self) -> bool:
        """Whether a read must check that the slot was assigned."""
        return self.index not in self.scope.bound

    @property
    def may_hold_rule(self) -> bool:
        return self.index in self.scope.rule_slots

    def __repr__(self) -> str:
        return f"<var {self.name} d{self.scope.depth}#{self.index}>"


class Resolution:
    """The resolver's answers, keyed by AST node identity."""

    __slots__ = ("file_block", "file_scope", "functions", "imports", "loop_vars", "params", "refs")

    def __init__(self, file_scope: Scope) -> None:
        self.file_scope = file_scope
        self.file_block: dict[str, Var] = {}
        self.refs: dict[ast.Node, Var | None] = {}  # Ident / FuncDecl -> variable (None: universe)
        self.loop_vars: dict[ast.Node, tuple[Var, Var | None]] = {}  # For / Quantifier names
        self.functions: dict[ast.FuncLit, Scope] = {}
        self.imports: list[tuple[ast.Import, Var]] = []
        self.params: list[tuple[ast.Param, Var]] = []


def import_name(path: str) -> str:
    """The name ``import "path"`` binds without ``as``: the last path segment."""
    return path.rsplit("/", 1)[-1]


def resolve(file: ast.File, predeclared: Iterable[str] = ()) -> Resolution:
    """Resolve every name of ``file``; raises :class:`SentinelSyntaxError` for misplaced ``return``
    and assignments to imports. ``predeclared`` names are file-level variables the caller binds
    (the literal assignments the fast mock loader took out of the source)."""
    return _Resolver(file, predeclared).run()


class _Resolver:
    def __init__(self, file: ast.File, predeclared: Iterable[str] = ()) -> None:
        self.file = file
        self.predeclared = list(predeclared)
        self.source: Source = file.source
        self.res = Resolution(Scope(None))
        # Blocks from the file inwards, across function boundaries: (scope, names declared in the block).
        self.blocks: list[tuple[Scope, dict[str, Var]]] = []
        self.import_vars: set[Var] = set()

    def error(self, offset: int, message: str) -> SentinelSyntaxError:
        return SentinelSyntaxError.at(self.source, offset, message)

    # --- scopes ---------------------------------------------------------------------------------------

    def lookup(self, name: str) -> Var | None:
        for _, names in reversed(self.blocks):
            var = names.get(name)
            if var is not None:
                return var
        return None

    def declare(self, name: str, *, bound: bool = False) -> Var:
        scope, names = self.blocks[-1]
        var = scope.new_slot(name, bound=bound)
        names[name] = var
        return var

    def predeclare(self, stmts: list[ast.Stmt]) -> None:
        """Declare the names a block assigns directly (through ``if`` and ``case``, not into loops
        or functions) that no enclosing scope has: Sentinel's first-assignment rule, per block."""
        pending: list[list[ast.Stmt]] = [stmts]
        while pending:
            for stmt in pending.pop():
                kind = type(stmt)
                if kind is ast.Assign:
                    target = stmt.target  # type: ignore[attr-defined]
                    if type(target) is ast.Ident and self.lookup(target.name) is None:
                        self.declare(target.name)
                elif kind is ast.FuncDecl:
                    if self.lookup(stmt.name) is None:  # type: ignore[attr-defined]
                        self.declare(stmt.name)  # type: ignore[attr-defined]
                elif kind is ast.If:
                    pending.append(stmt.body)  # type: ignore[attr-defined]
                    pending.append(stmt.orelse)  # type: ignore[attr-defined]
                elif kind is ast.Case:
                    pending.extend(clause.body for clause in stmt.clauses)  # type: ignore[attr-defined]
                    if stmt.default is not None:  # type: ignore[attr-defined]
                        pending.append(stmt.default.body)  # type: ignore[attr-defined]

    # --- file -------------------------------------------------------------------------------------------

    def run(self) -> Resolution:
        res = self.res
        file_names: dict[str, Var] = res.file_block
        self.blocks.append((res.file_scope, file_names))
        for imp in self.file.imports:
            name = imp.alias if imp.alias is not None else import_name(imp.path)
            var = self.declare(name)
            res.imports.append((imp, var))
            self.import_vars.add(var)
        for param in self.file.params:
            existing = self.lookup(param.name)
            var = existing if existing is not None else self.declare(param.name)
            res.params.append((param, var))
        for name in self.predeclared:
            if self.lookup(name) is None:
                self.declare(name)
        self.predeclare(self.file.body)
        self.statements(self.file.body, in_function=False)
        return res

    # --- statements -------------------------------------------------------------------------------------

    def statements(self, stmts: list[ast.Stmt], *, in_function: bool) -> None:
        # else-if chains nest in the AST; walk them in a loop.
        for stmt in stmts:
            node: ast.Stmt | None = stmt
            while node is not None:
                node = self.statement(node, in_function)

    def statement(self, stmt: ast.Stmt, in_function: bool) -> ast.Stmt | None:
        """Resolve ``stmt``; returns a nested ``else if`` statement to continue with, if any."""
        kind = type(stmt)
        if kind is ast.Assign:
            assert isinstance(stmt, ast.Assign)
            self.expr(stmt.value)
            target = stmt.target
            if type(target) is ast.Ident:
                assert isinstance(target, ast.Ident)
                var = self.lookup(target.name)
                if var is None:  # only when predeclare missed a statement list
                    var = self.declare(target.name)
                if var in self.import_vars:
                    raise self.error(target.pos, f'cannot assign to "{target.name}": it names an import')
                self.res.refs[target] = var
                if stmt.op == "=" and type(stmt.value) is ast.RuleLit:
                    var.scope.rule_slots.add(var.index)
            else:
                self.expr(target)
        elif kind is ast.ExprStmt:
            assert isinstance(stmt, ast.ExprStmt)
            self.expr(stmt.expr)
        elif kind is ast.If:
            assert isinstance(stmt, ast.If)
            self.expr(stmt.cond)
            self.statements(stmt.body, in_function=in_function)
            if len(stmt.orelse) == 1 and type(stmt.orelse[0]) is ast.If:
                return stmt.orelse[0]
            self.statements(stmt.orelse, in_function=in_function)
        elif kind is ast.Case:
            assert isinstance(stmt, ast.Case)
            if stmt.subject is not None:
                self.expr(stmt.subject)
            for clause in stmt.clauses:
                for e in clause.exprs:
                    self.expr(e)
                self.statements(clause.body, in_function=in_function)
            if stmt.default is not None:
                self.statements(stmt.default.body, in_function=in_function)
        elif kind is ast.For:
            assert isinstance(stmt, ast.For)
            self.expr(stmt.collection)
            self.blocks.append((self.blocks[-1][0], {}))
            self.loop_names(stmt, stmt.first, stmt.second)
            self.predeclare(stmt.body)
            self.statements(stmt.body, in_function=in_function)
            self.blocks.pop()
        elif kind is ast.Return:
            assert isinstance(stmt, ast.Return)
            if not in_function:
                raise self.error(stmt.pos, '"return" outside of a function')
            self.expr(stmt.value)
        elif kind is ast.FuncDecl:
            assert isinstance(stmt, ast.FuncDecl)
            var = self.lookup(stmt.name)
            if var is None:
                var = self.declare(stmt.name)
            if var in self.import_vars:
                raise self.error(stmt.pos, f'cannot declare function "{stmt.name}": it names an import')
            self.res.refs[stmt] = var
            self.function(stmt.func)
        elif kind is ast.Break or kind is ast.Continue:
            pass
        else:  # imports and params appear only in File.imports / File.params
            raise self.error(stmt.pos, f"unexpected {kind.__name__} statement")
        return None

    def loop_names(self, node: ast.Node, first: str, second: str | None) -> None:
        var1 = self.declare(first, bound=True)
        var2 = self.declare(second, bound=True) if second is not None else None
        self.res.loop_vars[node] = (var1, var2)

    def function(self, lit: ast.FuncLit) -> None:
        scope = Scope(self.blocks[-1][0])
        self.blocks.append((scope, {}))
        for name in lit.params:
            self.declare(name, bound=True)
        self.predeclare(lit.body)
        self.statements(lit.body, in_function=True)
        self.blocks.pop()
        self.res.functions[lit] = scope

    # --- expressions ------------------------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> None:
        kind = type(node)
        if kind is ast.Ident:
            assert isinstance(node, ast.Ident)
            self.ident(node)
        elif kind is ast.Int or kind is ast.Float or kind is ast.String or kind is ast.Constant:
            pass
        elif kind is ast.Selector:
            # Selector chains can be long (fluent mocks); walk them without recursion.
            while type(node) is ast.Selector:
                node = node.value  # type: ignore[attr-defined]
            self.expr(node)
        elif kind is ast.Binary:
            assert isinstance(node, ast.Binary)
            # Left-nested operator chains: iterate down the left spine.
            rights: list[ast.Expr] = []
            current: ast.Expr = node
            while type(current) is ast.Binary:
                rights.append(current.right)  # type: ignore[attr-defined]
                current = current.left  # type: ignore[attr-defined]
            self.expr(current)
            for right in reversed(rights):
                self.expr(right)
        elif kind is ast.Quantifier:
            assert isinstance(node, ast.Quantifier)
            self.expr(node.collection)
            self.blocks.append((self.blocks[-1][0], {}))
            self.loop_names(node, node.first, node.second)
            self.expr(node.body)
            self.blocks.pop()
        elif kind is ast.FuncLit:
            assert isinstance(node, ast.FuncLit)
            self.function(node)
        elif kind is ast.RuleLit:
            assert isinstance(node, ast.RuleLit)
            if node.when is not None:
                self.expr(node.when)
            self.expr(node.body)
        else:
            for child in ast.iter_child_nodes(node):
                self.expr(child)  # type: ignore[arg-type]

    def ident(self, node: ast.Ident) -> None:
        name = node.name
        var = self.lookup(name)
        if var is None and name not in UNIVERSE_NAMES:
            file_scope = self.res.file_scope
            var = file_scope.externals.get(name)
            if var is None:
                var = file_scope.new_slot(name)
                file_scope.externals[name] = var
        self.res.refs[node] = var


def initial_values(scope: Scope, universe: dict[str, Value], unset: Value) -> list[Value]:
    """A frame's slot values before anything runs: unset, or the predeclared value a slot shadows
    (so ``length`` still means the builtin until the file assigns its own)."""
    values: list[Value] = []
    for offset, name in enumerate(scope.names):
        index = HEADER + offset
        values.append(universe[name] if index in scope.shadowed else unset)
    return values
