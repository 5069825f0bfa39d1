from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "dangjian.recruitment"
    label = "recruitment"
    verbose_name = "发展党员"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import rules, signals  # noqa: F401

        rules.register()
        _watch_for_checkup()
        register_menu("recruitment", "发展党员", "bi-person-plus", 32, [
            MenuItem("发展党员台账", "recruitment-list", "view"),
            MenuItem("发展党员时限规则", "recruitment-rulesets", "configure"),
        ])


def _watch_for_checkup():
    """A change of a case, a step or a training re-checks the person's branch when the transaction commits.
    A change of a rule set bears on everything: the daily full run picks it up."""
    from dangjian.checkup.watch import register_watch

    from .models import RecruitmentCase, Sponsor, StepRecord, Training

    register_watch(RecruitmentCase, lambda c: [c.member.org_path])
    for model in (StepRecord, Training, Sponsor):
        register_watch(model, lambda r: [r.case.member.org_path])
