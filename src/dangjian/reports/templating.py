"""The template language of briefings and exchange material (交流材料): staff write

    流转事件工单{{ tickets.dispatched }}件，受理率达{{ tickets.acceptance_rate|percent }}

and Dangjian fills it for a scope and a period. It is Jinja2 in its sandbox (`SandboxedEnvironment`): no Python
internals (``__class__`` and every attribute starting with ``_`` is refused), no globals (``range``, ``lipsum``,
``cycler``…), no ``include``/``import``/``extends``, bounded repetition, and every name that is not a variable is an
error naming it and its line — never a silently empty value.

Variables (`context_for`):

- every registered metric, by its dotted key: ``tickets.dispatched``, ``members.total``, ``orgs.coverage`` (a rate
  is a fraction: 0.979, printed with ``|percent``);
- ``previous.<key>`` / ``year_ago.<key>``: the value of the previous period (上月/上年) and of the same period a
  year before (去年同期);
- ``mom.<key>`` / ``yoy.<key>``: 环比 / 同比 as a phrase: “增加120件”, “提高1.2个百分点”, “持平”;
- ``scope.name``, ``scope.code``, ``org.name``, ``region.name``, ``period.label`` (“2026年11月”), ``period.year``,
  ``period.month``.

Filters: ``percent`` (0.979 → 97.9%; ``percent(2)`` for two decimals), ``number`` (12034 → 12,034), and Jinja's
own (``round``, ``default``…). A value that cannot be known (a rate whose denominator is 0) prints “—”.

The same environment renders uploaded .docx templates (docxtpl), with autoescaping for the XML.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateAssertionError, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from . import queries
from .registry import Node, Period, metric, metrics_on

MAX_SOURCE = 20_000  # characters of a text template
MAX_OUTPUT = 200_000  # characters of a filled text
MAX_REPEAT = 10_000  # longest string or list built with *
BUILTINS = ("scope", "org", "region", "period", "previous", "year_ago", "mom", "yoy")
FORBIDDEN_TAGS = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)


# ---- errors ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.message}" if self.line else self.message


class TemplateProblem(ValueError):
    """What is wrong with a template, in Chinese, one problem per line: “第1行：未知变量 tickets.dispatchd”."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("；".join(str(p) for p in self.problems))


class UnknownVariable(UndefinedError):
    def __init__(self, path: str):
        self.path = path
        super().__init__(f"未知变量 {path}")


# ---- the variables -----------------------------------------------------------------------------------------
class Namespace:
    """A group of variables (``tickets`` in ``tickets.dispatched``). Only item access: no public attribute a
    template could reach, so ``{{ tickets.items }}`` is the variable ``tickets.items``, not a dict method.
    Values may be lazy (a callable of no argument, computed on first use: the 环比 of one metric)."""

    __slots__ = ("_path", "_items", "_cache")

    def __init__(self, path: str, items: dict):
        self._path = path
        self._items = items
        self._cache: dict = {}

    def __getitem__(self, key):
        if key not in self._items:
            raise KeyError(key)
        value = self._items[key]
        if isinstance(value, _Lazy):
            if key not in self._cache:
                self._cache[key] = value.compute()
            return self._cache[key]
        return value

    def __contains__(self, key) -> bool:
        return key in self._items

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __str__(self) -> str:
        raise _group_error(self)

    def __repr__(self) -> str:
        return f"<变量组 {self._path}>"


def _group_error(ns: Namespace) -> UndefinedError:
    first = next(iter(ns._items), "…")
    return UndefinedError(f"{ns._path} 是一组变量，不能直接使用，请写出具体的变量，如 {ns._path}.{first}")


@dataclass(frozen=True)
class _Lazy:
    compute: Callable[[], object]


def _namespace(path: str, tree: dict) -> Namespace:
    return Namespace(path, {k: (_namespace(f"{path}.{k}", v) if isinstance(v, dict) else v) for k, v in tree.items()})


class Unknown(StrictUndefined):
    """Any use of an unknown name fails with the full dotted name: “未知变量 tickets.dispatchd”."""

    __slots__ = ()

    @property
    def dj_path(self) -> str:
        owner = self._undefined_obj
        name = self._undefined_name
        if isinstance(owner, Namespace):
            return f"{owner._path}.{name}"
        return str(name) if name is not None else "（未命名）"

    def _fail_with_undefined_error(self, *args, **kwargs):
        if self._undefined_exception is SecurityError:
            raise SecurityError(f"不允许访问内部属性 {self._undefined_name}")
        raise UnknownVariable(self.dj_path)

    __str__ = __iter__ = __len__ = __bool__ = __eq__ = __ne__ = __hash__ = __contains__ = _fail_with_undefined_error
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = __neg__ = __pos__ = _fail_with_undefined_error

    def __getattr__(self, name):
        if name[:2] == "__":
            raise AttributeError(name)
        self._fail_with_undefined_error()


def _change_phrase(m, delta) -> str:
    """“增加120件” / “减少3人” / “提高1.2个百分点” / “下降0.5个百分点” / “持平”; “—” when the base is unknown."""
    if delta is None:
        return "—"
    if m.is_percent:
        points = round(delta * 100, 1)
        if points == 0:
            return "持平"
        return f"{'提高' if points > 0 else '下降'}{abs(points):.1f}个百分点"
    if delta == 0:
        return "持平"
    amount = abs(delta)
    text = f"{amount:.1f}" if isinstance(amount, float) and not float(amount).is_integer() else f"{int(amount)}"
    return f"{'增加' if delta > 0 else '减少'}{text}{m.unit}"


def _node_vars(node: Node | None) -> dict:
    return {"name": node.name if node else "", "code": node.code if node else ""}


def context_for(nodes_: dict[str, Node | None], period: Period, *, now=None) -> dict:
    """The variables of a template for a scope (`queries.scope_nodes`) and a period, as Namespaces."""
    flat = queries.variables(nodes_, period, now=now)
    tree = queries.nested(flat)
    for name in BUILTINS:
        tree.pop(name, None)  # a metric app named like a built-in would shadow it; the built-in wins
    main = nodes_.get("region") or nodes_.get("org")
    ctx = {key: _namespace(key, value) if isinstance(value, dict) else value for key, value in tree.items()}
    ctx["scope"] = Namespace("scope", _node_vars(main))
    ctx["org"] = Namespace("org", _node_vars(nodes_.get("org")))
    ctx["region"] = Namespace("region", _node_vars(nodes_.get("region")))
    ctx["period"] = Namespace("period", {
        "label": period.label, "code": period.code, "year": period.start.year, "month": period.start.month,
        "start": f"{period.start.year}年{period.start.month}月{period.start.day}日",
        "end": f"{period.last_day.year}年{period.last_day.month}月{period.last_day.day}日",
    })  # fmt: skip
    trees = {n.tree: n for n in nodes_.values() if n is not None}

    def lazy(kind: str, key: str):
        def compute():
            m = metric(key)
            found = queries.change(trees[m.tree], key, period, now=now)
            if kind == "previous":
                return found["previous"]
            if kind == "year_ago":
                return found["year_ago"]
            return _change_phrase(m, found["mom_delta" if kind == "mom" else "yoy_delta"])

        return _Lazy(compute)

    for kind in ("previous", "year_ago", "mom", "yoy"):
        ctx[kind] = _namespace(kind, queries.nested({key: lazy(kind, key) for key in flat}))
    return ctx


def catalog(nodes_: dict[str, Node | None], period: Period, *, now=None) -> list[dict]:
    """Every variable with its label and current value for the pages that list them:
    [{"key", "label", "unit", "group", "tree", "value", "display", "example", "url"}], built-ins first."""
    main = nodes_.get("region") or nodes_.get("org")
    rows = [
        {"key": "scope.name", "label": "统计范围名称", "display": main.name if main else "", "group": "通用"},
        {"key": "scope.code", "label": "统计范围代码", "display": main.code if main else "", "group": "通用"},
        {"key": "org.name", "label": "党组织名称", "display": _node_vars(nodes_.get("org"))["name"], "group": "通用"},
        {"key": "region.name", "label": "区划名称", "display": _node_vars(nodes_.get("region"))["name"],
         "group": "通用"},
        {"key": "period.label", "label": "统计周期", "display": period.label, "group": "通用"},
        {"key": "period.year", "label": "年份", "display": str(period.start.year), "group": "通用"},
        {"key": "period.month", "label": "月份", "display": str(period.start.month), "group": "通用"},
    ]
    for row in rows:
        row.update({"unit": "", "tree": "", "value": row["display"], "url": None, "example": f"{{{{ {row['key']} }}}}"})
    for item in queries.variable_catalog(nodes_, period, now=now):
        m = metric(item["key"])
        example = f"{{{{ {item['key']}|percent }}}}" if m.is_percent else f"{{{{ {item['key']} }}}}"
        rows.append(item | {"display": queries.format_value(m, item["value"]), "example": example})
    return rows


# ---- filters -----------------------------------------------------------------------------------------------
def _number_or_fail(value, name: str):
    if isinstance(value, Unknown):
        value._fail_with_undefined_error()
    if isinstance(value, Namespace):
        raise _group_error(value)
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float):
        raise UndefinedError(f"过滤器 {name} 只能用于数值，收到的是“{value}”")
    return value


def _digits(digits, name: str) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 6:
        raise UndefinedError(f"过滤器 {name} 的参数应为 0 至 6 位小数，如 {name}(2)")
    return digits


def percent(value, digits: int = 1) -> str:
    """0.979 → “97.9%”; None (denominator 0) → “—”."""
    digits = _digits(digits, "percent")
    value = _number_or_fail(value, "percent")
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def number(value, digits: int | None = None) -> str:
    """12034 → “12,034”; 3.456 → “3.5” (``number(2)``: “3.46”); None → “—”."""
    digits = None if digits is None else _digits(digits, "number")
    value = _number_or_fail(value, "number")
    if value is None:
        return "—"
    if digits is not None:
        return f"{value:,.{digits}f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _finalize(value):
    """What ``{{ … }}`` prints: a group of variables is an error, an unknown value “—”."""
    if isinstance(value, Unknown):
        value._fail_with_undefined_error()
    if isinstance(value, Namespace):
        raise _group_error(value)
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class BriefingEnvironment(SandboxedEnvironment):
    """The sandbox with our filters, no globals and bounded ``*`` / ``**``."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self, autoescape: bool = False):
        super().__init__(undefined=Unknown, autoescape=autoescape, finalize=_finalize, keep_trailing_newline=True)
        self.globals.clear()
        self.filters["percent"] = percent
        self.filters["number"] = number

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("乘方的指数过大")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_REPEAT:
                    raise SecurityError("重复生成的内容过长")
        return super().call_binop(context, operator, left, right)


TEXT_ENV = BriefingEnvironment(autoescape=False)


def docx_environment() -> BriefingEnvironment:
    """A fresh environment for docxtpl (which sets autoescape on it)."""
    return BriefingEnvironment(autoescape=True)


# ---- checking ----------------------------------------------------------------------------------------------
_SYNTAX = [
    (re.compile(r"unexpected end of template", re.I), "模板意外结束：可能缺少 }}、%} 或 {% endif %}、{% endfor %}"),
    (re.compile(r"unexpected char '(.)'"), "表达式中有无法识别的字符“{0}”，请使用半角符号"),
    (re.compile(r"unexpected '\}'"), "多余或不配对的“}”"),
    (re.compile(r"expected token 'end of print statement', got '([^']*)'"),
     "{{ }} 中的写法有误（在“{0}”附近），一个 {{ }} 里只写一个变量，过滤器用 | 连接"),
    (re.compile(r"Encountered unknown tag '([^']*)'"), "未知的标签 {0}"),
    (re.compile(r"No filter named '([^']*)'"), "未知过滤器 {0}（可用：percent、number 等）"),
    (re.compile(r"No test named '([^']*)'"), "未知的判断 {0}"),
    (re.compile(r"expected token '([^']*)'"), "缺少“{0}”"),
    (re.compile(r"Expected an expression", re.I), "缺少表达式（如 {% if %} 后面没有写条件）"),
]


def _syntax_message(exc: TemplateError) -> str:
    text = exc.message or str(exc)
    for pattern, message in _SYNTAX:
        found = pattern.search(text)
        if found:
            return message.replace("{0}", found.group(1)) if found.groups() else message
    return f"模板语法错误（{text}）"


def _chain(node) -> tuple[list[str] | None, object]:
    """['tickets', 'dispatched'] for ``tickets.dispatched`` / ``tickets['dispatched']``; None when the chain
    does not start from a plain name or has a computed part."""
    parts: list[str] = []
    while isinstance(node, nodes.Getattr | nodes.Getitem):
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
        else:
            return None, node
        node = node.node
    if isinstance(node, nodes.Name):
        parts.append(node.name)
        return parts[::-1], node
    return None, node


def _check_path(parts: list[str], ctx: dict, tree_missing: Callable[[str], str]) -> str | None:
    """The problem with the variable `parts` (None when it exists)."""
    head, *rest = parts
    if head not in ctx:
        return f"未知变量 {head}" + (tree_missing(".".join(parts)) if rest else "")
    current = ctx[head]
    walked = [head]
    for part in rest:
        walked.append(part)
        if not isinstance(current, Namespace) or part not in current:
            return f"未知变量 {'.'.join(walked)}" + tree_missing(".".join(parts))
        current = current._items[part]
    return None


def check(source: str, ctx: dict, *, env: BriefingEnvironment = TEXT_ENV) -> list[Problem]:
    """Every problem that can be found without rendering: syntax, unknown filters, unknown variables (even in
    branches that would not run), internal attributes, forbidden tags. [] when the template is sound."""
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [Problem(exc.lineno, _syntax_message(exc))]
    declared = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    if any(True for _ in ast.find_all(nodes.For)):
        declared.add("loop")
    problems: list[Problem] = []
    registered = {m.key: m for m in metrics_on()}

    def tree_missing(path: str) -> str:
        m = registered.get(path)
        if m is None:
            return ""
        label = "党组织" if m.tree == "org" else "行政区划"
        return f"（{m.label}按{label}统计，当前统计范围没有对应的{label}）"

    def visit(node):
        if isinstance(node, FORBIDDEN_TAGS):
            problems.append(Problem(node.lineno, "不支持 include、import、extends 等引用其他模板的标签"))
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Name):
            parts, root = _chain(node)
            if parts is not None:
                bad = [p for p in parts if p.startswith("_")]
                if bad:
                    problems.append(Problem(node.lineno, f"不允许访问内部属性 {bad[0]}"))
                elif parts[0] not in declared and getattr(root, "ctx", "load") == "load":
                    problem = _check_path(parts, ctx, tree_missing)
                    if problem:
                        problems.append(Problem(node.lineno, problem))
                return
            inner, attrs = node, []
            while isinstance(inner, nodes.Getattr | nodes.Getitem):
                if isinstance(inner, nodes.Getattr):
                    attrs.append(inner.attr)
                elif isinstance(inner.arg, nodes.Const) and isinstance(inner.arg.value, str):
                    attrs.append(inner.arg.value)
                inner = inner.node
            bad = [a for a in reversed(attrs) if a.startswith("_")]
            if bad:
                problems.append(Problem(node.lineno, f"不允许访问内部属性 {bad[0]}"))
                return
        if isinstance(node, nodes.Filter) and node.name == "attr":
            names = [a.value for a in node.args if isinstance(a, nodes.Const) and isinstance(a.value, str)]
            if any(n.startswith("_") for n in names):
                problems.append(Problem(node.lineno, f"不允许访问内部属性 {names[0]}"))
                return
        for child in node.iter_child_nodes():
            visit(child)

    visit(ast)
    try:
        env.from_string(source)  # unknown filters and tests are found when compiling
    except TemplateAssertionError as exc:
        problems.append(Problem(exc.lineno, _syntax_message(exc)))
    except TemplateSyntaxError as exc:
        problems.append(Problem(exc.lineno, _syntax_message(exc)))
    unique: dict[tuple, Problem] = {}
    for p in problems:
        unique.setdefault((p.line, p.message), p)
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.message))


def template_line(exc: BaseException) -> int | None:
    """The template line where a rendering error happened (Jinja maps its frames to template lines)."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def runtime_problem(exc: Exception) -> Problem:
    """A rendering error as a Chinese problem with its line."""
    if isinstance(exc, SecurityError):
        message = str(exc) if re.search(r"[\u4e00-\u9fff]", str(exc)) else "模板试图访问不安全的内部属性，已拒绝"
    elif isinstance(exc, UndefinedError):
        message = str(exc)
    elif isinstance(exc, TemplateError):
        message = _syntax_message(exc)
    elif isinstance(exc, ZeroDivisionError):
        message = "除数为 0"
    else:
        message = f"计算出错（{type(exc).__name__}）"
    return Problem(template_line(exc), message)


def render_text(source: str, ctx: dict) -> str:
    """Fill a text template; TemplateProblem (Chinese, with line numbers) for anything wrong."""
    source = (source or "").replace("\r\n", "\n")
    if len(source) > MAX_SOURCE:
        raise TemplateProblem([Problem(None, f"模板过长：最多 {MAX_SOURCE} 个字符，当前 {len(source)} 个")])
    problems = check(source, ctx)
    if problems:
        raise TemplateProblem(problems)
    try:
        out = TEXT_ENV.from_string(source).render(ctx)
    except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
        raise TemplateProblem([runtime_problem(exc)]) from None
    if len(out) > MAX_OUTPUT:
        raise TemplateProblem([Problem(None, f"生成的内容过长：最多 {MAX_OUTPUT} 个字符")])
    return out
