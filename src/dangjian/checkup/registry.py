"""The rule registry. Each app declares its rules in its own `rules.py` and registers them from AppConfig.ready;
the engine imports no feature app. A rule is set-based: it answers, for a subtree and a date, every violation
at once from the database."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Citation:
    document: str
    article: str
    version: str
    effective: str

    def __str__(self) -> str:
        return f"{self.document}（{self.version}）{self.article}，{self.effective}起施行"


@dataclass(frozen=True)
class Violation:
    subject: str  # "org" or "member"
    subject_id: int
    subject_code: str  # an organisation code, or a member id as text
    org_path: str
    message: str
    due: dt.date | None = None
    severity: str | None = None  # overrides the rule's severity (e.g. warning at 3 months, error at 6)
    key: str = ""  # tells apart several violations of one rule by one subject (e.g. the recruitment step)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    citation: Citation
    severity: str  # error / warning / notice
    subject: str  # org / member
    evaluate: Callable[[str, dt.date, dict], Iterable[Violation]]  # (subtree path, as_of, params)
    params: dict = field(default_factory=dict)  # county-configurable, with their defaults
    param_labels: dict = field(default_factory=dict)  # Chinese label of each parameter, for the settings page


RULES: dict[str, Rule] = {}


def register_rule(rule: Rule) -> Rule:
    if rule.id in RULES:
        raise ValueError(f"rule {rule.id} registered twice")
    RULES[rule.id] = rule
    return rule
