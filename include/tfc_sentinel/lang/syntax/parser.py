"""Recursive-descent parser: token arrays → :class:`~.ast.File`.

One method per grammar production, in the spirit of CPython's ``tomllib`` parser; binary operators
use precedence climbing (one loop instead of one method per level). For literal-heavy mocks: plain-data
maps and lists arrive as single ``CONST`` tokens from the scanner's JSON fast path; other literals are
parsed by loops that build scalar elements inline and call ``_map``/``_list`` directly for nested
ones, and ``_expr`` returns a lone literal or name followed by ``,`` ``:`` or a closer at once.

Nesting is counted in expressions, literals and blocks (``max_depth``). The interpreter's recursion
limit is raised only when a parse actually nests deeply, and restored when the last such parse ends,
so deep input fails with :class:`SentinelSyntaxError`, never ``RecursionError``. The first error
stops the parse.
"""

from __future__ import annotations

import sys
import threading

from . import ast
from .errors import SentinelSyntaxError, Source
from .scanner import scan
from .tokens import (
    ASSIGN_OPS,
    AUTO_SEMI,
    BINARY_PRECEDENCE,
    CONST,
    EOF,
    FLOAT,
    IDENT,
    INT,
    QUANTIFIERS,
    SEMI,
    STRING,
    describe,
)

DEFAULT_MAX_DEPTH = 1000
"""Default limit on nested expressions, literals and blocks (a map nested 200 deep uses 200)."""

# Python frames one counted nesting level can use at most (e.g. _expr → _unary → _operand → _rule →
# _braced_expr → _expr), and how many levels one recursion-limit check covers.
_FRAMES_PER_LEVEL = 6
_LEVELS_PER_CHECK = 64

# Tokens after which a literal is complete: the fast paths build the node at once.
_LITERAL_END = frozenset({",", ":", "]", "}", ")", SEMI, EOF})
_SCALAR: dict[str, type[ast.Expr]] = {
    STRING: ast.String,
    INT: ast.Int,
    FLOAT: ast.Float,
    IDENT: ast.Ident,
    CONST: ast.Constant,
}
_NEGATED = {"in": "not in", "contains": "not contains", "matches": "not matches"}
_POSTFIX = {op: op for op in ("is empty", "is defined", "is not empty", "is not defined")}
_STMT_END = frozenset({SEMI, "}", EOF})
_POSTFIX_START = frozenset({".", "[", "(", "is"})
_DATA_NAMES = frozenset({"true", "false", "null"})  # names the JSON fast path decodes as data


def parse(
    source: str, filename: str = "<input>", *, max_depth: int = DEFAULT_MAX_DEPTH, fast_literals: bool = True
) -> ast.File:
    """Parse Sentinel source text into a :class:`~.ast.File`.

    Raises :class:`SentinelSyntaxError` (and nothing else) for any malformed input, including input
    nested deeper than ``max_depth``. With ``fast_literals`` (the default) plain-data list and map
    literals become :class:`~.ast.Constant` nodes; without it every literal is a node tree. A file
    that binds ``true``, ``false`` or ``null`` as a name is parsed without the fast path.
    """
    src = Source(source, filename)
    parser = _Parser(src, max_depth, fast_literals=fast_literals)
    _Headroom.acquire()
    try:
        file = parser.parse_file()
    except RecursionError:  # backstop: the depth counter and headroom should always prevent it
        i = min(parser.i, len(parser.offsets) - 1)
        raise parser.error(parser.offsets[i], "nesting too deep") from None
    finally:
        _Headroom.release()
    if fast_literals and parser.binds_data_names:
        return parse(source, filename, max_depth=max_depth, fast_literals=False)
    return file


class _Headroom:
    """Process-wide recursion-limit raise, shared by concurrent parses and undone by the last one.

    Safe on CPython ≥ 3.11, where Python-to-Python calls do not consume C stack.
    """

    _lock = threading.Lock()
    _users = 0
    _original: int | None = None

    @classmethod
    def acquire(cls) -> None:
        with cls._lock:
            cls._users += 1

    @classmethod
    def ensure(cls, limit: int) -> None:
        with cls._lock:
            current = sys.getrecursionlimit()
            if current < limit:
                if cls._original is None:
                    cls._original = current
                sys.setrecursionlimit(limit)

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            cls._users -= 1
            if cls._users == 0 and cls._original is not None:
                sys.setrecursionlimit(cls._original)
                cls._original = None


class _Parser:
    """Parser state over the scanned tokens of one source; use :func:`parse`."""

    def __init__(
        self, source: Source, max_depth: int = DEFAULT_MAX_DEPTH, *, fast_literals: bool = True
    ) -> None:
        self.source = source
        self.kinds, self.values, self.offsets = scan(source, fast_literals=fast_literals, max_depth=max_depth)
        self.i = 0
        self.depth = 0
        self.max_depth = max_depth
        self.checkpoint = 0  # depth at which to check the depth limit and the recursion headroom
        self.loops = 0  # enclosing "for" statements in the current function
        self.binds_data_names = False  # true/false/null used as a variable: CONST data would be wrong

    # --- helpers ------------------------------------------------------------------------------------

    def error(self, offset: int, message: str) -> SentinelSyntaxError:
        return SentinelSyntaxError.at(self.source, offset, message)

    def _found(self) -> str:
        i = self.i
        if self.offsets[i] >= len(self.source.text):  # includes the semicolon inserted at the end
            return "end of file"
        return describe(self.kinds[i], self.values[i])

    def _where(self, offset: int) -> str:
        line, column = self.source.line_col(offset)
        return f"{line}:{column}"

    def _expected(self, what: str) -> SentinelSyntaxError:
        offset = self.offsets[self.i]
        text = self.source.text
        if offset >= len(text.rstrip()):  # at end of file: point just after the last token
            offset = len(text.rstrip())
        return self.error(offset, f"expected {what}, found {self._found()}")

    def _expect(self, kind: str, what: str = "") -> int:
        """Consume a token of ``kind`` and return its offset; ``what`` completes the message."""
        i = self.i
        if self.kinds[i] != kind:
            raise self._expected(f'"{kind}"{what}')
        self.i = i + 1
        return self.offsets[i]

    def _ident(self, what: str) -> str:
        i = self.i
        if self.kinds[i] != IDENT:
            raise self._expected(what)
        self.i = i + 1
        name: str = self.values[i]  # type: ignore[assignment]
        return name

    def _bind(self, name: str) -> str:
        """Note a name being bound; returns it."""
        if name in _DATA_NAMES:
            self.binds_data_names = True
        return name

    def _skip_newline(self) -> None:
        """Skip an inserted semicolon, as in front of a closing bracket."""
        i = self.i
        if self.kinds[i] == SEMI and self.values[i] is AUTO_SEMI:
            self.i = i + 1

    def _too_deep(self) -> SentinelSyntaxError:
        return self.error(self.offsets[self.i], f"nesting too deep (more than {self.max_depth} levels)")

    def _enter(self) -> None:
        """Count one nesting level; every ``_LEVELS_PER_CHECK`` levels check limit and headroom."""
        depth = self.depth = self.depth + 1
        if depth >= self.checkpoint:
            if depth > self.max_depth:
                raise self._too_deep()
            frames = 0
            frame = sys._getframe()
            while frame is not None:
                frames += 1
                frame = frame.f_back
            _Headroom.ensure(frames + _LEVELS_PER_CHECK * _FRAMES_PER_LEVEL + 100)
            self.checkpoint = min(depth + _LEVELS_PER_CHECK, self.max_depth + 1)

    # --- file and statements --------------------------------------------------------------------------

    def parse_file(self) -> ast.File:
        kinds, offsets = self.kinds, self.offsets
        imports: list[ast.Import] = []
        params: list[ast.Param] = []
        body: list[ast.Stmt] = []
        first_param: int | None = None
        first_stmt: int | None = None
        while True:
            while kinds[self.i] == SEMI:
                self.i += 1
            kind = kinds[self.i]
            if kind == EOF:
                break
            pos = offsets[self.i]
            if kind == "import":
                if first_param is not None or first_stmt is not None:
                    earlier = "param" if first_stmt is None else "statement"
                    at = first_param if first_stmt is None else first_stmt
                    raise self.error(
                        pos, f"imports must come first in the file, before the {earlier} at {self._where(at)}"
                    )
                imports.append(self._import(imports))
            elif kind == "param":
                if first_stmt is not None:
                    raise self.error(
                        pos,
                        "params must come after the imports and before other statements "
                        f"(first statement at {self._where(first_stmt)})",
                    )
                first_param = pos if first_param is None else first_param
                params.append(self._param())
            else:
                first_stmt = pos if first_stmt is None else first_stmt
                body.append(self._statement())
            if kinds[self.i] == SEMI:
                self.i += 1
            elif kinds[self.i] != EOF:
                raise self._expected('end of statement (newline or ";")')
        return ast.File(self.source, imports, params, body)

    def _import(self, imports: list[ast.Import]) -> ast.Import:
        pos = self.offsets[self.i]
        self.i += 1
        i = self.i
        if self.kinds[i] != STRING:
            raise self._expected('an import name string after "import"')
        path: str = self.values[i]  # type: ignore[assignment]
        self.i += 1
        alias = None
        if self.kinds[self.i] == "as":
            self.i += 1
            alias = self._bind(self._ident('an identifier after "as"'))
        for other in imports:
            if other.path == path:
                raise self.error(pos, f'"{path}" is already imported at {self._where(other.pos)}')
            if alias is not None and other.alias == alias:
                raise self.error(pos, f'import name "{alias}" is already used at {self._where(other.pos)}')
        return ast.Import(pos, path, alias)

    def _param(self) -> ast.Param:
        pos = self.offsets[self.i]
        self.i += 1
        name = self._bind(self._ident('a parameter name after "param"'))
        default = None
        if self.kinds[self.i] == "default":
            self.i += 1
            start = self.offsets[self.i]
            default = self._expr()
            if not _is_param_literal(default):
                raise self.error(
                    start,
                    "param default must be a literal: a string, a number, true, false, "
                    "or a list or map of those",
                )
        return ast.Param(pos, name, default)

    def _block(self, what: str) -> list[ast.Stmt]:
        """``{ StatementList }``; ``what`` names the construct for error messages."""
        kinds = self.kinds
        if kinds[self.i] != "{":
            raise self._expected(f'"{{" to start the {what}')
        open_pos = self.offsets[self.i]
        self.i += 1
        self._enter()
        stmts: list[ast.Stmt] = []
        while True:
            while kinds[self.i] == SEMI:
                self.i += 1
            kind = kinds[self.i]
            if kind == "}":
                self.i += 1
                self.depth -= 1
                return stmts
            if kind == EOF:
                raise self._expected(f'"}}" to close the {what} opened at {self._where(open_pos)}')
            stmts.append(self._statement())
            kind = kinds[self.i]
            if kind == SEMI:
                self.i += 1
            elif kind != "}":
                raise self._expected('end of statement (newline, ";" or "}")')

    def _statement(self) -> ast.Stmt:
        kinds, offsets = self.kinds, self.offsets
        i = self.i
        kind = kinds[i]
        pos = offsets[i]
        if kind == "if":
            return self._if()
        if kind == "for":
            return self._for()
        if kind == "case":
            return self._case()
        if kind == "return":  # also allowed outside functions: the evaluator decides what it means
            self.i += 1
            if kinds[self.i] in _STMT_END:
                raise self._expected('an expression after "return" (write "return undefined" for no value)')
            return ast.Return(pos, self._expr())
        if kind == "break" or kind == "continue":
            if not self.loops:
                raise self.error(pos, f'"{kind}" outside of a "for" loop')
            self.i += 1
            return ast.Break(pos) if kind == "break" else ast.Continue(pos)
        if kind == "func" and kinds[i + 1] == IDENT:
            self.i += 1
            name = self._bind(self.values[self.i])  # type: ignore[arg-type]
            self.i += 1
            return ast.FuncDecl(pos, name, self._func_rest(pos))
        if kind == "import" or kind == "param":
            raise self.error(pos, f'"{kind}" declarations must be at the top of the file')
        if kind == "else":
            if i >= 2 and kinds[i - 1] == SEMI and self.values[i - 1] is AUTO_SEMI and kinds[i - 2] == "}":
                raise self.error(pos, '"else" must be on the same line as the "}" that closes the if block')
            raise self.error(pos, 'unexpected "else" without "if"')
        expr = self._expr()
        kind = kinds[self.i]
        if kind in ASSIGN_OPS:
            op_pos = offsets[self.i]
            _check_target(self, expr)
            if type(expr) is ast.Ident:
                self._bind(expr.name)
            self.i += 1
            return ast.Assign(pos, op_pos, kind, expr, self._expr())
        return ast.ExprStmt(pos, expr)

    def _if(self) -> ast.If:
        # Else-if chains are built in a loop, so a long chain does not nest Python calls.
        kinds, offsets = self.kinds, self.offsets
        pos = offsets[self.i]
        self.i += 1
        root = node = ast.If(pos, self._expr(), self._block("if block"), [])
        chain = self.depth
        while kinds[self.i] == "else":
            self.i += 1
            if kinds[self.i] == "if":
                chain += 1  # the AST nests even though the parser loops
                if chain > self.max_depth:
                    raise self._too_deep()
                pos = offsets[self.i]
                self.i += 1
                nested = ast.If(pos, self._expr(), self._block("if block"), [])
                node.orelse = [nested]
                node = nested
            elif kinds[self.i] == "{":
                node.orelse = self._block("else block")
                break
            else:
                raise self._expected('"if" or "{" after "else"')
        return root

    def _for(self) -> ast.For:
        pos = self.offsets[self.i]
        self.i += 1
        collection = self._expr()
        first, second = self._as_names("for")
        self.loops += 1
        body = self._block("for block")
        self.loops -= 1
        return ast.For(pos, collection, first, second, body)

    def _as_names(self, what: str) -> tuple[str, str | None]:
        """``as name [, name]`` of ``for`` and quantifiers."""
        if self.kinds[self.i] != "as":
            raise self._expected(f'"as" after the collection of the {what}')
        self.i += 1
        first = self._bind(self._ident('an identifier after "as"'))
        if self.kinds[self.i] != ",":
            return first, None
        self.i += 1
        return first, self._bind(self._ident('a second identifier after ","'))

    def _case(self) -> ast.Case:
        kinds, offsets = self.kinds, self.offsets
        pos = offsets[self.i]
        self.i += 1
        subject = None if kinds[self.i] == "{" else self._expr()
        open_pos = self._expect("{", " to start the case body")
        self._enter()
        clauses: list[ast.CaseClause] = []
        default: ast.CaseClause | None = None
        while True:
            while kinds[self.i] == SEMI:
                self.i += 1
            kind = kinds[self.i]
            clause_pos = offsets[self.i]
            if kind == "}":
                self.i += 1
                break
            if kind == "when":
                self.i += 1
                exprs = [self._expr()]
                while kinds[self.i] == ",":
                    self.i += 1
                    exprs.append(self._expr())
                self._expect(":", ' after the "when" expressions')
                clauses.append(ast.CaseClause(clause_pos, exprs, self._clause_body(open_pos)))
            elif kind == "else":
                if default is not None:
                    raise self.error(
                        clause_pos, f'case already has an "else" clause at {self._where(default.pos)}'
                    )
                self.i += 1
                self._expect(":", ' after "else" in a case')
                default = ast.CaseClause(clause_pos, [], self._clause_body(open_pos))
            elif kind == EOF:
                raise self._expected(f'"}}" to close the case opened at {self._where(open_pos)}')
            else:
                raise self._expected('"when", "else" or "}" in case')
        self.depth -= 1
        return ast.Case(pos, subject, clauses, default)

    def _clause_body(self, open_pos: int) -> list[ast.Stmt]:
        kinds = self.kinds
        stmts: list[ast.Stmt] = []
        while True:
            while kinds[self.i] == SEMI:
                self.i += 1
            kind = kinds[self.i]
            if kind == "when" or kind == "else" or kind == "}":
                return stmts
            if kind == EOF:
                raise self._expected(f'"}}" to close the case opened at {self._where(open_pos)}')
            stmts.append(self._statement())
            kind = kinds[self.i]
            if kind == SEMI:
                self.i += 1
            elif kind != "}":
                raise self._expected('end of statement (newline, ";" or "}")')

    # --- expressions ----------------------------------------------------------------------------------

    def _expr(self, min_prec: int = 1) -> ast.Expr:
        """Expression whose binary operators bind at least as tight as ``min_prec``."""
        kinds = self.kinds
        i = self.i
        cls = _SCALAR.get(kinds[i])
        if cls is not None and kinds[i + 1] in _LITERAL_END:  # fast path: a lone literal or name
            self.i = i + 1
            return cls(self.offsets[i], self.values[i])
        self._enter()
        node = self._binary_rest(self._unary(), min_prec)
        self.depth -= 1
        return node

    def _binary_rest(self, left: ast.Expr, min_prec: int) -> ast.Expr:
        """Precedence climbing: extend ``left`` with operators of precedence ``min_prec`` or more."""
        kinds = self.kinds
        spine = self.depth  # left-nested operators deepen the AST, not the parser's stack
        while True:
            i = self.i
            kind = kinds[i]
            prec = BINARY_PRECEDENCE.get(kind)
            if prec is None or prec < min_prec:
                return left
            spine += 1
            if spine > self.max_depth:
                raise self._too_deep()
            op_pos = self.offsets[i]
            if kind == "not":
                op = _NEGATED.get(kinds[i + 1])
                if op is None:
                    self.i = i + 1
                    raise self._expected('"in", "contains" or "matches" after "not"')
                self.i = i + 2
            elif kind == "is" and kinds[i + 1] == "not":
                op = "is not"
                self.i = i + 2
            else:
                op = kind
                self.i = i + 1
            left = ast.Binary(left.pos, op_pos, op, left, self._expr(prec + 1))

    def _unary(self) -> ast.Expr:
        """Prefix operators (a loop, so ``- - - x`` does not recurse), then a postfix expression.

        A sign applied directly to a number literal is folded into it: ``-5`` is ``Int(-5)``.
        """
        kind = self.kinds[self.i]
        if kind != "-" and kind != "not" and kind != "!" and kind != "+":
            return self._postfix_rest(self._operand())
        ops: list[tuple[int, str]] = []
        while kind == "-" or kind == "not" or kind == "!" or kind == "+":
            ops.append((self.offsets[self.i], kind))
            self.i += 1
            kind = self.kinds[self.i]
        if self.depth + len(ops) > self.max_depth:
            raise self._too_deep()
        node = self._postfix_rest(self._operand())
        for pos, op in reversed(ops):
            if (op == "-" or op == "+") and (type(node) is ast.Int or type(node) is ast.Float):
                node = type(node)(pos, -node.value if op == "-" else node.value)  # type: ignore[attr-defined]
            else:
                node = ast.Unary(pos, pos, op, node)
        return node

    def _postfix_rest(self, node: ast.Expr) -> ast.Expr:
        """Selectors, indexes, slices, calls and ``is [not] empty/defined`` after an operand."""
        kinds, offsets = self.kinds, self.offsets
        spine = self.depth
        while True:
            i = self.i
            kind = kinds[i]
            if kind in _POSTFIX_START:
                spine += 1
                if spine > self.max_depth:
                    raise self._too_deep()
            if kind == ".":
                if kinds[i + 1] != IDENT:  # the scanner makes any word after "." an IDENT
                    self.i = i + 1
                    raise self._expected('a field name after "."')
                node = ast.Selector(node.pos, offsets[i], node, self.values[i + 1])  # type: ignore[arg-type]
                self.i = i + 2
            elif kind == "[":
                node = self._index(node)
            elif kind == "(":
                node = ast.Call(node.pos, offsets[i], node, self._args())
            elif kind == "is":
                nxt = kinds[i + 1]
                if nxt == "empty" or nxt == "defined":
                    op, self.i = _POSTFIX[f"is {nxt}"], i + 2
                elif nxt == "not" and kinds[i + 2] in ("empty", "defined"):
                    op, self.i = _POSTFIX[f"is not {kinds[i + 2]}"], i + 3
                else:
                    return node  # binary "is" / "is not"
                node = ast.Unary(node.pos, offsets[i], op, node)
            else:
                return node

    def _operand(self) -> ast.Expr:
        kinds = self.kinds
        i = self.i
        kind = kinds[i]
        cls = _SCALAR.get(kind)
        if cls is not None:
            self.i = i + 1
            return cls(self.offsets[i], self.values[i])
        if kind == "{":
            return self._map()
        if kind == "[":
            return self._list()
        if kind == "(":
            open_pos = self.offsets[i]
            self.i = i + 1
            node = self._expr()
            self._skip_newline()
            self._expect(")", f" to close the parenthesis opened at {self._where(open_pos)}")
            return node
        if kind in QUANTIFIERS:
            return self._quantifier()
        if kind == "rule":
            return self._rule()
        if kind == "func":
            pos = self.offsets[i]
            self.i = i + 1
            if kinds[self.i] == IDENT:
                raise self.error(
                    self.offsets[self.i],
                    "a function declaration (func name(...)) is a statement, not a value",
                )
            return self._func_rest(pos)
        raise self._expected("an expression")

    def _element(self) -> ast.Expr:
        """A list element or map value: literals and nested literals without the operator descent."""
        kinds = self.kinds
        i = self.i
        kind = kinds[i]
        if kind == "{" or kind == "[":
            node: ast.Expr = self._map() if kind == "{" else self._list()
            if kinds[self.i] in _LITERAL_END:
                return node
            self._enter()  # an operand after all: {...}["k"], [...] + x
            node = self._binary_rest(self._postfix_rest(node), 1)
            self.depth -= 1
            return node
        return self._expr()

    def _map(self) -> ast.MapLit:
        kinds, values, offsets = self.kinds, self.values, self.offsets
        self._enter()
        i = self.i
        open_pos = offsets[i]
        i += 1
        keys: list[ast.Expr] = []
        vals: list[ast.Expr] = []
        while True:
            kind = kinds[i]
            if kind == SEMI and values[i] is AUTO_SEMI:
                i += 1
                kind = kinds[i]
            if kind == "}":
                break
            cls = _SCALAR.get(kind)
            if cls is not None and kinds[i + 1] == ":":
                keys.append(cls(offsets[i], values[i]))
                i += 2
            else:
                self.i = i
                if kind == EOF:
                    raise self._expected(f'"}}" to close the map opened at {self._where(open_pos)}')
                keys.append(self._expr())
                i = self.i
                if kinds[i] != ":":
                    raise self._expected('":" after the map key')
                i += 1
            cls = _SCALAR.get(kinds[i])
            if cls is not None and kinds[i + 1] in _LITERAL_END:
                vals.append(cls(offsets[i], values[i]))
                i += 1
            else:
                self.i = i
                vals.append(self._element())
                i = self.i
            kind = kinds[i]
            if kind == ",":
                i += 1
                continue
            if kind == SEMI and values[i] is AUTO_SEMI:
                i += 1
                kind = kinds[i]
            if kind == "}":
                break
            self.i = i
            raise self._expected(f'"," or "}}" after the map element (map opened at {self._where(open_pos)})')
        self.i = i + 1
        self.depth -= 1
        return ast.MapLit(open_pos, keys, vals)

    def _list(self) -> ast.ListLit:
        kinds, values, offsets = self.kinds, self.values, self.offsets
        self._enter()
        i = self.i
        open_pos = offsets[i]
        i += 1
        elts: list[ast.Expr] = []
        while True:
            kind = kinds[i]
            if kind == SEMI and values[i] is AUTO_SEMI:
                i += 1
                kind = kinds[i]
            if kind == "]":
                break
            cls = _SCALAR.get(kind)
            if cls is not None and kinds[i + 1] in _LITERAL_END:
                elts.append(cls(offsets[i], values[i]))
                i += 1
            else:
                self.i = i
                if kind == EOF:
                    raise self._expected(f'"]" to close the list opened at {self._where(open_pos)}')
                elts.append(self._element())
                i = self.i
            kind = kinds[i]
            if kind == ",":
                i += 1
                continue
            if kind == SEMI and values[i] is AUTO_SEMI:
                i += 1
                kind = kinds[i]
            if kind == "]":
                break
            self.i = i
            raise self._expected(
                f'"," or "]" after the list element (list opened at {self._where(open_pos)})'
            )
        self.i = i + 1
        self.depth -= 1
        return ast.ListLit(open_pos, elts)

    def _args(self) -> list[ast.Expr]:
        """``( [expr {, expr} [,]] )`` of a call."""
        kinds = self.kinds
        open_pos = self.offsets[self.i]
        self.i += 1
        args: list[ast.Expr] = []
        while True:
            self._skip_newline()
            kind = kinds[self.i]
            if kind == ")":
                self.i += 1
                return args
            if kind == EOF:
                raise self._expected(f'")" to close the call opened at {self._where(open_pos)}')
            args.append(self._expr())
            self._skip_newline()
            kind = kinds[self.i]
            if kind == ",":
                self.i += 1
            elif kind != ")":
                raise self._expected(f'"," or ")" in the call opened at {self._where(open_pos)}')

    def _index(self, value: ast.Expr) -> ast.Expr:
        """``[index]`` or ``[low:high]`` with either bound optional."""
        kinds = self.kinds
        open_pos = self.offsets[self.i]
        self.i += 1
        closing = f" to close the index opened at {self._where(open_pos)}"
        low = high = None
        if kinds[self.i] == "]":
            raise self._expected("an index expression")
        if kinds[self.i] != ":":
            low = self._expr()
            self._skip_newline()
            if kinds[self.i] == "]":
                self.i += 1
                return ast.Index(value.pos, open_pos, value, low)
            if kinds[self.i] != ":":
                raise self._expected(f'"]" or ":"{closing}')
        self.i += 1  # the ":"
        self._skip_newline()
        if kinds[self.i] != "]":
            high = self._expr()
            self._skip_newline()
        self._expect("]", closing)
        return ast.Slice(value.pos, open_pos, value, low, high)

    def _func_rest(self, pos: int) -> ast.FuncLit:
        """Parameters and body after ``func`` (and the name, for a declaration)."""
        kinds = self.kinds
        open_pos = self._expect("(", ' to start the parameter list after "func"')
        params: list[str] = []
        while True:
            self._skip_newline()
            if kinds[self.i] == ")":
                self.i += 1
                break
            name_pos = self.offsets[self.i]
            name = self._bind(self._ident("a parameter name"))
            if name in params:
                raise self.error(name_pos, f'duplicate parameter "{name}"')
            params.append(name)
            self._skip_newline()
            if kinds[self.i] == ",":
                self.i += 1
            elif kinds[self.i] != ")":
                raise self._expected(f'"," or ")" in the parameter list opened at {self._where(open_pos)}')
        loops, self.loops = self.loops, 0  # break/continue do not cross function boundaries
        body = self._block("function body")
        self.loops = loops
        return ast.FuncLit(pos, params, body)

    def _rule(self) -> ast.RuleLit:
        pos = self.offsets[self.i]
        self.i += 1
        when = None
        if self.kinds[self.i] == "when":
            self.i += 1
            when = self._expr()
        body = self._braced_expr("rule")
        return ast.RuleLit(pos, when, body)

    def _quantifier(self) -> ast.Quantifier:
        i = self.i
        pos, op = self.offsets[i], self.kinds[i]
        self.i = i + 1
        collection = self._expr()
        first, second = self._as_names(f'"{op}" expression')
        return ast.Quantifier(pos, op, collection, first, second, self._braced_expr(f'"{op}" expression'))

    def _braced_expr(self, what: str) -> ast.Expr:
        """``{ expression }``: the body of a rule or quantifier."""
        open_pos = self._expect("{", f" to start the body of the {what}")
        self._skip_newline()
        if self.kinds[self.i] == "}":
            raise self._expected(f"an expression in the body of the {what}")
        body = self._expr()
        self._skip_newline()
        self._expect("}", f" to close the {what} body opened at {self._where(open_pos)}")
        return body


def _check_target(parser: _Parser, target: ast.Expr) -> None:
    """Allow ``x`` and ``x[...]...[...]`` (selectors allowed inside the chain, not last)."""
    if isinstance(target, ast.Ident):
        return
    if isinstance(target, ast.Selector):
        raise parser.error(
            target.op_pos, f'cannot assign to a selector; write an index instead: ["{target.name}"]'
        )
    node: ast.Expr = target
    while isinstance(node, (ast.Index, ast.Selector)):
        node = node.value
    if not isinstance(target, ast.Index) or not isinstance(node, ast.Ident):
        raise parser.error(
            target.pos, "cannot assign to this expression: expected a variable or an index expression"
        )


def _is_param_literal(node: ast.Expr) -> bool:
    """Spec, "Parameters": strings, signed numbers (folded by ``_unary``), true, false, and lists and
    maps of those."""
    if isinstance(node, (ast.String, ast.Int, ast.Float)):
        return True
    if isinstance(node, ast.Ident):
        return node.name in ("true", "false")
    if isinstance(node, ast.Constant):
        return _is_param_data(node.value)
    if isinstance(node, ast.ListLit):
        return all(_is_param_literal(e) for e in node.elts)
    if isinstance(node, ast.MapLit):
        return all(_is_param_literal(e) for e in node.keys) and all(_is_param_literal(e) for e in node.values)
    return False


def _is_param_data(value: object) -> bool:
    if isinstance(value, dict):
        return all(_is_param_data(v) for v in value.values())
    if isinstance(value, list):
        return all(_is_param_data(v) for v in value)
    return value is not None  # null is not a parameter value
