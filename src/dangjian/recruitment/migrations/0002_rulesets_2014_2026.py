"""Ship the timing rules of 《中国共产党发展党员工作细则》 (2014, in force) and an entry for its 2026 revision
(not in force until a county administrator enters and confirms its numbers from the official text)."""

import datetime as dt

from django.db import migrations

DOCUMENT = "《中国共产党发展党员工作细则》"
CHECK = "（条号待核对）"
UNENTERED_ARTICLE = "待按正式文本录入"

# code, title, kind, anchor, target step, bound, amount, unit, alt amount, alt unit, severity, article (2014)
RULES_2014 = [
    ("age", "申请人年龄", "offset", "birth", 1, "min", 18, "years", None, "", "error", "第五条" + CHECK),
    ("talk", "谈话时限", "offset", "step:1", 2, "max", 1, "months", None, "", "warning", "第七条" + CHECK),
    ("activist_period", "入党积极分子培养期", "offset", "step:3", 7, "min", 1, "years", None, "", "error",
     "第十三条" + CHECK),
    ("notice", "发展对象公示期", "period", "step:13", 13, "min", 5, "workdays", None, "", "warning",
     "第十九条（公示，条号待核对）"),
    ("concentrated_training", "集中培训", "training", "step:11", 12, "min", 3, "days", 24, "hours", "error",
     "第十七条" + CHECK),
    ("vote_after_prereview", "支部大会讨论时限", "offset", "step:13", 15, "max", 1, "months", None, "", "warning",
     "第二十条" + CHECK),
    ("approval", "上级党委审批时限", "offset", "step:15", 17, "max", 3, "months", None, "", "warning",
     "第二十五条" + CHECK),
    ("approval_limit", "上级党委审批最长时限", "offset", "step:15", 17, "max", 6, "months", None, "", "error",
     "第二十五条" + CHECK),
    ("probation", "预备期", "offset", "step:15", 23, "min", 1, "years", None, "", "error", "第三十一条" + CHECK),
    ("conversion_approval", "转正审批时限", "offset", "rule:probation", 24, "max", 3, "months", None, "",
     "warning", "第三十三条" + CHECK),
]


def create(apps, schema_editor):
    RuleSet = apps.get_model("recruitment", "RuleSet")
    TimingRule = apps.get_model("recruitment", "TimingRule")
    current = RuleSet.objects.create(
        code="2014", document=DOCUMENT, doc_number="中办发〔2014〕28号", version="2014",
        issued_on=dt.date(2014, 6, 10), effective_on=dt.date(2014, 6, 10), in_force=True,
        note="条号来自二手资料，请按正式文本核对；更正后保存即可，无需修改程序。",
    )  # fmt: skip
    revised = RuleSet.objects.create(
        code="2026", document=DOCUMENT, doc_number="", version="2026", in_force=False,
        note="2026年修订的细则。请按正式文本录入文号、印发和施行日期、各项时限的数值和条款，核对无误后确认生效；"
             "确认之前一律适用2014年版本。下列数值沿用2014年版本，仅作录入起点。",
    )  # fmt: skip
    for position, (code, title, kind, anchor, target, bound, amount, unit, alt_amount, alt_unit, severity,
                   article) in enumerate(RULES_2014):
        common = dict(code=code, title=title, kind=kind, anchor=anchor, target=target, bound=bound, amount=amount,
                      unit=unit, alt_amount=alt_amount, alt_unit=alt_unit, severity=severity, position=position)
        TimingRule.objects.create(ruleset=current, article=article, **common)
        TimingRule.objects.create(ruleset=revised, article=UNENTERED_ARTICLE, **common)


def remove(apps, schema_editor):
    apps.get_model("recruitment", "RuleSet").objects.filter(code__in=["2014", "2026"]).delete()


class Migration(migrations.Migration):
    dependencies = [("recruitment", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
