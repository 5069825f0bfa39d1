"""The ticket figures: every rate names its numerator and denominator (GLOSSARY: ticket metrics).

`queries.ticket_metrics` computes them; reports and briefings read the definitions from here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    numerator: str | None = None
    denominator: str | None = None
    help: str = ""

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


METRICS: dict[str, Metric] = {m.key: m for m in [
    Metric("dispatched", "流转工单", "件", help="期间内派单（流转）的次数，退回后再派单计两次"),
    Metric("accepted", "受理", "件", help="上述派单中已受理的"),
    Metric("returned", "退回", "件", help="上述派单中被退回的"),
    Metric("acceptance_rate", "受理率", "%", "accepted", "dispatched"),
    Metric("return_rate", "退回率", "%", "returned", "dispatched"),
    Metric("closed", "办结", "件", help="已受理且工单已结案的派单"),
    Metric("closure_rate", "办结率", "%", "closed", "dispatched"),
    Metric("on_time", "按期办结", "件", help="办结反馈时间不晚于（含延期后的）办结期限"),
    Metric("on_time_rate", "按期办结率", "%", "on_time", "closed"),
    Metric("extended", "延期", "件", help="获批延期的派单"),
    Metric("extension_rate", "延期率", "%", "extended", "dispatched"),
    Metric("overdue_open", "超期未办结", "件", help="当前仍未办结且已过办结期限"),
    Metric("rated", "有效回访", "件", help="已评价的主办派单"),
    Metric("dissatisfied", "不满意", "件"),
    Metric("satisfied", "满意及基本满意", "件", help="有效回访 − 不满意"),
    Metric("satisfaction_rate", "满意率", "%", "satisfied", "rated",
           help="(有效回访 − 不满意) / 有效回访"),
    Metric("resolved", "办结反馈", "次", help="办结反馈的次数（返工后再次办结另计一次）"),
    Metric("reopened", "返工", "次", help="核查不通过退回重办的次数"),
    Metric("rework_rate", "返工率", "%", "reopened", "resolved"),
    Metric("avg_hours_to_close", "平均结案用时", "小时", help="立案至结案的平均小时数"),
    Metric("whistled", "吹哨召集", "次"),
    Metric("responded", "部门报到", "次"),
    Metric("response_rate", "报到率", "%", "responded", "whistled"),
]}  # fmt: skip
