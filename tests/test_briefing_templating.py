"""The template language of briefings: variables filled for a scope and a month, the filters, 环比/同比, Chinese
errors that name the unknown variable and its line, and the sandbox."""

import pytest
from jinja2.exceptions import SecurityError

from dangjian.reports import templating
from dangjian.reports.queries import scope_nodes
from dangjian.reports.templating import Namespace, TemplateProblem, number, percent, render_text
from tests.briefing_helpers import NOVEMBER, NOW, build_briefing_county


@pytest.fixture
def ctx(county):
    c = build_briefing_county(county)
    return templating.context_for(c.nodes, NOVEMBER, now=NOW)


def problems(source: str, ctx) -> list[str]:
    with pytest.raises(TemplateProblem) as info:
        render_text(source, ctx)
    return [str(p) for p in info.value.problems]


def test_filters():
    assert percent(0.979) == "97.9%"
    assert percent(0.97856, 2) == "97.86%"
    assert percent(1) == "100.0%"
    assert percent(None) == "—"
    assert number(12034) == "12,034"
    assert number(3.456) == "3.5"
    assert number(3.456, 2) == "3.46"
    assert number(None) == "—"


@pytest.mark.django_db
def test_the_figures_of_a_scope_and_month(ctx):
    text = "流转事件工单{{ tickets.dispatched }}件，受理率达{{ tickets.acceptance_rate|percent }}"
    assert render_text(text, ctx) == "流转事件工单7件，受理率达71.4%"
    # a rate is a fraction with its parts; the built-ins name the scope and the period
    assert render_text("{{ tickets.accepted }}/{{ tickets.dispatched }}={{ tickets.acceptance_rate }}", ctx) == "5/7=0.7143"
    assert render_text("{{ scope.name }}{{ period.label }}，{{ org.name }}", ctx) == "示范县2026年11月，中共示范县委员会"
    assert render_text("满意率{{ tickets.satisfaction_rate|percent }}", ctx) == "满意率75.0%"
    # 环比 against October (66.7%, 2 of 3), 同比 against November 2025 (no tickets: 7 more)
    assert render_text("上月{{ previous.tickets.acceptance_rate|percent }}，较上月{{ mom.tickets.acceptance_rate }}，"
                       "较去年同期{{ yoy.tickets.dispatched }}", ctx) == "上月66.7%，较上月提高4.8个百分点，较去年同期增加7件"
    assert render_text("{{ mom.tickets.closure_rate }}；{{ year_ago.tickets.acceptance_rate|percent }}", ctx) == (
        "下降9.5个百分点；—")
    # the health check and the ledger, on the organisation tree
    assert render_text("待整改问题{{ checkup.open }}个，其中违规{{ checkup.open_error }}个", ctx) == "待整改问题3个，其中违规2个"
    assert render_text("{% if tickets.acceptance_rate > 0.7 %}较好{% else %}偏低{% endif %}", ctx) == "较好"
    assert render_text("第一行\n{{ members.total|number }}名", ctx) == "第一行\n2名"


@pytest.mark.django_db
def test_unknown_variables_are_errors_with_their_line(ctx):
    assert problems("流转事件工单{{ tickets.dispatchd }}件", ctx) == ["第1行：未知变量 tickets.dispatchd"]
    assert problems("第一段\n\n受理率{{ tickets.acceptance_rat|percent }}", ctx) == ["第3行：未知变量 tickets.acceptance_rat"]
    assert problems("{{ tiket.dispatched }}", ctx) == ["第1行：未知变量 tiket"]
    assert problems("{{ tickets.dispatched.real }}", ctx) == ["第1行：未知变量 tickets.dispatched.real"]
    # in a branch that would not run, too: never a silently empty value
    assert problems("{% if false %}\n{{ members.totl }}{% endif %}", ctx) == ["第2行：未知变量 members.totl"]
    # every problem at once, in line order
    assert problems("{{ a.b }}\n{{ tickets.x }}", ctx) == ["第1行：未知变量 a", "第2行：未知变量 tickets.x"]
    # found while rendering, through a local name, with its line
    assert problems("{% set t = tickets %}\n\n{{ t.dispatchd }}", ctx) == ["第3行：未知变量 tickets.dispatchd"]
    assert problems("{{ tickets }}", ctx) == [
        "第1行：tickets 是一组变量，不能直接使用，请写出具体的变量，如 tickets.dispatched"]


@pytest.mark.django_db
def test_syntax_errors_and_unknown_filters_in_chinese(ctx):
    assert problems("受理率{{ tickets.acceptance_rate|percnt }}", ctx) == [
        "第1行：未知过滤器 percnt（可用：percent、number 等）"]
    assert problems("a\n{{ tickets.dispatched", ctx) == ["第2行：模板意外结束：可能缺少 }}、%} 或 {% endif %}、{% endfor %}"]
    assert problems("{{ tickets.dispatched ｜percent }}", ctx) == ["第1行：表达式中有无法识别的字符“｜”，请使用半角符号"]
    assert problems("{{ members.total|percent('x') }}", ctx) == ["第1行：过滤器 percent 的参数应为 0 至 6 位小数，如 percent(2)"]
    assert problems("{{ scope.name|percent }}", ctx) == ["第1行：过滤器 percent 只能用于数值，收到的是“示范县”"]
    assert problems("x" * (templating.MAX_SOURCE + 1), ctx)[0].startswith("模板过长")


@pytest.mark.django_db
def test_a_scope_without_organisation_explains_the_missing_tree(county):
    build_briefing_county(county)
    nodes = scope_nodes(None, "369901")
    only_region = {"region": nodes["region"], "org": None}
    ctx = templating.context_for(only_region, NOVEMBER, now=NOW)
    assert render_text("{{ tickets.dispatched }}", ctx) == "7"
    assert problems("{{ members.total }}", ctx) == [
        "第1行：未知变量 members（党员总数按党组织统计，当前统计范围没有对应的党组织）"]


@pytest.mark.django_db
def test_the_sandbox_reaches_no_python_internals(ctx):
    for source, message in (
        ("{{ tickets.__class__ }}", "不允许访问内部属性 __class__"),
        ("{{ ().__class__.__bases__[0].__subclasses__() }}", "不允许访问内部属性 __class__"),
        ("{{ scope.name.__class__.__mro__ }}", "不允许访问内部属性 __class__"),
        ("{{ tickets|attr('_items') }}", "不允许访问内部属性 _items"),
        ("{{ tickets._items }}", "不允许访问内部属性 _items"),
        ("{{ cycler.__init__.__globals__ }}", "不允许访问内部属性 __init__"),
        ("{{ lipsum() }}", "未知变量 lipsum"),  # Jinja's globals are removed
        ("{{ range(10) }}", "未知变量 range"),
        ("{{ scope.name.upper() }}", "未知变量 scope.name.upper"),  # no methods of values either
        ("{% include 'base.html' %}", "不支持 include、import、extends 等引用其他模板的标签"),
        ("{{ 'x' * 100000 }}", "重复生成的内容过长"),
        ("{{ 9 ** 999999 }}", "乘方的指数过大"),
    ):
        assert problems(source, ctx) == [f"第1行：{message}"], source
    # the environment itself is the sandbox, not only the checks before it
    with pytest.raises(SecurityError):
        str(templating.TEXT_ENV.from_string("{{ x.__class__.__mro__ }}").render(x=1))
    with pytest.raises(SecurityError):
        templating.TEXT_ENV.from_string("{{ x|attr('__class__') }}").render(x=Namespace("x", {}))


@pytest.mark.django_db
def test_catalog_lists_every_variable_with_its_current_value(ctx):
    nodes = scope_nodes(None, "369901")
    rows = {r["key"]: r for r in templating.catalog(nodes, NOVEMBER, now=NOW)}
    assert rows["tickets.dispatched"]["display"] == "7件"
    assert rows["tickets.acceptance_rate"]["display"] == "71.4%"
    assert rows["tickets.acceptance_rate"]["example"] == "{{ tickets.acceptance_rate|percent }}"
    assert rows["checkup.open"]["display"] == "3个"
    assert rows["scope.name"]["display"] == "示范县" and rows["period.label"]["display"] == "2026年11月"
    from dangjian.reports.registry import metrics_on

    assert {m.key for m in metrics_on()} <= set(rows)
    # every variable of the catalog renders through the language
    for key in rows:
        render_text(f"{{{{ {key} }}}}", ctx)
