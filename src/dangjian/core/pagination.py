"""Keyset ("seek") pagination for the list pages, and counts capped so that no page counts a whole big table.

A page is the next `size` rows after (or before) the last row seen, in the queryset's own ordering, found by
comparing the ordering keys — so page 1,000 costs what page 1 costs, and a row added meanwhile never shifts the
pages. The ordering is completed with the primary key so ties are broken the same way every time. The cursor
(the `cursor` parameter of the links) carries the ordering values of the boundary row, the direction and a digest
of the filters; it is signed, so a cursor that was altered, or that belongs to other filters, is refused.

On PostgreSQL, a leading text column indexed with varchar_pattern_ops (the materialised paths: the index that also
serves the LIKE 'prefix%' scope filters) is ordered and compared with the pattern operators (USING ~<~, ~>~),
which that index serves: the first page of a scope is a range scan of the prefix's index entries, whatever its
size. Paths are ASCII, so the byte order of the pattern operators is the order of the other databases.
"""

import datetime as dt
import decimal
import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db.models import F, Field, Lookup, OrderBy, Q
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, GreaterThan, IsNull, LessThan

COUNT_CAP = 10_000  # default of settings.DANGJIAN_LIST_COUNT_CAP
SALT = "dangjian.core.pagination"


class CursorError(ValueError):
    """A cursor that cannot be used (altered, of other filters, of another ordering)."""


# ---- pattern-operator ordering and comparisons (PostgreSQL) ----------------------------------------------------
class PatternOrderBy(OrderBy):
    """ORDER BY expr USING ~<~ / ~>~ on PostgreSQL (the order of a varchar_pattern_ops index); plain elsewhere."""

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.expression)
        # (USING takes the place of ASC / DESC; the comment keeps the direction visible to Django's compiler,
        # which looks for it to tell ORDER BY terms apart)
        direction = "DESC" if self.descending else "ASC"
        return f"{sql} USING {'~>~' if self.descending else '~<~'} /* {direction} */", params


class _Pattern(Lookup):
    op = pattern = ""
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        op = self.pattern if connection.vendor == "postgresql" else self.op
        return f"{lhs} {op} {rhs}", [*lhs_params, *rhs_params]


class PatternGreaterThan(_Pattern):
    lookup_name = "pattern_gt"
    op, pattern = ">", "~>~"


class PatternLessThan(_Pattern):
    lookup_name = "pattern_lt"
    op, pattern = "<", "~<~"


class PatternGreaterEqual(_Pattern):
    lookup_name = "pattern_gte"
    op, pattern = ">=", "~>=~"


class PatternLessEqual(_Pattern):
    lookup_name = "pattern_lte"
    op, pattern = "<=", "~<=~"


# ---- the ordering ----------------------------------------------------------------------------------------------
@dataclass
class Key:
    """One term of the ordering: its expression, direction, where NULLs go, and how it compares."""

    expression: object
    descending: bool
    nulls_last: bool  # NULLs sort after every value in this term's direction
    nullable: bool
    pattern: bool  # compared and ordered with the pattern operators (PostgreSQL)

    def order_by(self):
        if self.pattern:
            return PatternOrderBy(self.expression, descending=self.descending)
        if not self.nullable:
            return OrderBy(self.expression, descending=self.descending)
        return OrderBy(self.expression, descending=self.descending, nulls_last=self.nulls_last or None,
                       nulls_first=(not self.nulls_last) or None)  # fmt: skip

    def reversed(self) -> "Key":
        return Key(self.expression, not self.descending, not self.nulls_last, self.nullable, self.pattern)

    def equal(self, value) -> Q:
        return Q(IsNull(self.expression, True)) if value is None else Q(Exact(self.expression, value))

    def after(self, value) -> Q | None:
        """Rows strictly after `value` in this term's order (None: no row can be)."""
        if value is None:
            return Q(IsNull(self.expression, False)) if not self.nulls_last else None
        if self.pattern:
            q = Q((PatternLessThan if self.descending else PatternGreaterThan)(self.expression, value))
        else:
            q = Q((LessThan if self.descending else GreaterThan)(self.expression, value))
        return q | Q(IsNull(self.expression, True)) if self.nullable and self.nulls_last else q

    def bound(self, value) -> Q | None:
        """A redundant condition `expr >= value` (in this term's order) an index range scan can start from."""
        if value is None or self.nullable:
            return None
        if self.pattern:
            return Q((PatternLessEqual if self.descending else PatternGreaterEqual)(self.expression, value))
        from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

        return Q((LessThanOrEqual if self.descending else GreaterThanOrEqual)(self.expression, value))


def _pattern_columns(model) -> set[str]:
    """Columns that lead an index declared with varchar_pattern_ops (or text_pattern_ops)."""
    found = set()
    for index in model._meta.indexes:
        if index.fields and index.opclasses and index.opclasses[0] in ("varchar_pattern_ops", "text_pattern_ops"):
            found.add(model._meta.get_field(index.fields[0].lstrip("-")).column)
    return found


def ordering_keys(qs) -> list[Key]:
    """The queryset's ordering as keys, completed with the primary key; ValueError for an ordering that cannot
    seek (random order)."""
    query = qs.query
    terms = list(query.order_by) or (list(qs.model._meta.ordering) if query.default_ordering else [])
    pattern_columns = _pattern_columns(qs.model)
    keys, has_pk = [], False
    for term in terms:
        if isinstance(term, str):
            if term == "?":
                raise ValueError("random ordering")
            descending = term.startswith("-")
            expression, nulls = F(term.lstrip("-")), None
        elif isinstance(term, OrderBy):
            expression, descending = term.expression, term.descending
            nulls = True if term.nulls_last else False if term.nulls_first else None
        elif isinstance(term, F):
            expression, descending, nulls = term, False, None
        else:
            raise ValueError(f"unsupported ordering {term!r}")
        resolved = expression.resolve_expression(query, allow_joins=True, reuse=None)
        target = resolved.target if isinstance(resolved, Col) else None
        if target is not None and target.primary_key and target.model is qs.model:
            has_pk = True
        nullable = target is None or target.null or resolved.alias != query.get_initial_alias()
        pattern = (target is not None and target.model is qs.model and target.column in pattern_columns
                   and isinstance(target, Field) and target.get_internal_type() in ("CharField", "TextField"))
        if nulls is None:  # NULLs as the largest values, as PostgreSQL sorts them (made explicit on every database)
            nulls = not descending
        keys.append(Key(expression, descending, nulls, nullable and not pattern, pattern))
    if not has_pk:
        keys.append(Key(F("pk"), keys[-1].descending if keys else False, True, False, False))
    return keys


def _seek(keys: list[Key], values: list) -> Q:
    """Rows after `values` in the order of `keys`: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …"""
    alternatives, equal = [], Q()
    for key, value in zip(keys, values, strict=True):
        after = key.after(value)
        if after is not None:
            alternatives.append(equal & after)
        equal &= key.equal(value)
    if not alternatives:
        return Q(pk__in=[])
    condition = alternatives[0]
    for more in alternatives[1:]:
        condition |= more
    bound = keys[0].bound(values[0])
    return condition & bound if bound is not None else condition


# ---- cursors ---------------------------------------------------------------------------------------------------
def _encode(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"n": str(value)}
    return {"s": str(value)}


def _decode(value):
    if isinstance(value, dict):
        kind, text = next(iter(value.items()))
        return {"dt": dt.datetime.fromisoformat, "d": dt.date.fromisoformat, "n": decimal.Decimal, "s": str}[kind](text)
    return value


def filters_digest(params) -> str:
    items = sorted((k, v) for k in params for v in params.getlist(k) if k not in ("cursor", "page", "export"))
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def make_cursor(direction: str, values: list, digest: str) -> str:
    return signing.dumps({"d": direction, "k": [_encode(v) for v in values], "f": digest}, salt=SALT, compress=True)


def read_cursor(token: str, digest: str, n_keys: int) -> tuple[str, list | None]:
    """(direction, values) of a cursor: direction "next", "prev" or "last" (values None for "last")."""
    if token == "last":
        return "last", None
    try:
        data = signing.loads(token, salt=SALT)
        direction, values, made_for = data["d"], [_decode(v) for v in data["k"]], data["f"]
    except (signing.BadSignature, KeyError, TypeError, ValueError, StopIteration) as exc:
        raise CursorError("分页参数 cursor 无效（可能被修改或已损坏）") from exc
    if made_for != digest:
        raise CursorError("分页参数 cursor 与当前查询条件不符")
    if direction not in ("next", "prev") or len(values) != n_keys:
        raise CursorError("分页参数 cursor 与当前列表的排序不符")
    return direction, values


# ---- the page --------------------------------------------------------------------------------------------------
@dataclass
class CappedCount:
    value: int
    capped: bool

    def __str__(self):
        return f"{self.value:,}+" if self.capped else str(self.value)


def capped_count(qs, cap: int | None = None) -> CappedCount:
    """The number of rows, counted up to `cap` (settings.DANGJIAN_LIST_COUNT_CAP, 10,000): SELECT COUNT(*) FROM
    (… LIMIT cap + 1), which stops at the cap instead of counting a whole province."""
    cap = cap or getattr(settings, "DANGJIAN_LIST_COUNT_CAP", COUNT_CAP)
    n = qs.order_by()[: cap + 1].count()
    return CappedCount(min(n, cap), n > cap)


@dataclass
class Page:
    object_list: list
    count: CappedCount
    has_next: bool = False
    has_previous: bool = False
    next_cursor: str = ""
    previous_cursor: str = ""
    at_end: bool = False  # the page reached from "末页" (no next page)
    paginator: object = field(init=False)

    def __post_init__(self):
        self.paginator = self  # templates and tests read page_obj.paginator.count, as with Django's Paginator

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def keyset_page(qs, params, size: int) -> Page:
    """The page of `qs` the request parameters ask for (`cursor`: next / previous / "last"; none: the first).
    Raises CursorError for a cursor that cannot be used."""
    keys = ordering_keys(qs)
    digest = filters_digest(params)
    token = params.get("cursor") or ""
    direction, values = read_cursor(token, digest, len(keys)) if token else ("first", None)
    count = capped_count(qs)
    annotated = qs.annotate(**{f"_seek{i}": k.expression for i, k in enumerate(keys)})
    backwards = direction in ("prev", "last")
    order = [k.reversed() if backwards else k for k in keys]
    if values is not None:
        annotated = annotated.filter(_seek(order, values))
    rows = list(annotated.order_by(*(k.order_by() for k in order))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = Page(rows, count)
    if direction in ("first", "next"):
        page.has_next, page.has_previous = more, direction == "next"
    else:
        page.has_previous, page.has_next = more, direction == "prev"
    if rows:
        values_of = lambda obj: [getattr(obj, f"_seek{i}") for i in range(len(keys))]  # noqa: E731
        if page.has_next:
            page.next_cursor = make_cursor("next", values_of(rows[-1]), digest)
        if page.has_previous:
            page.previous_cursor = make_cursor("prev", values_of(rows[0]), digest)
    page.at_end = not page.has_next
    return page
