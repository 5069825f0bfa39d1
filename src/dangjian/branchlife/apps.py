from django.apps import AppConfig


class BranchlifeConfig(AppConfig):
    name = "dangjian.branchlife"
    label = "branchlife"
    verbose_name = "组织生活"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, rules, signals  # noqa: F401

        rules.register()

        _watch_for_checkup()

        register_menu("branchlife", "组织生活", "bi-journal-check", 35, [
            MenuItem("会议记录", "meeting-list", "view"),
            MenuItem("党费收缴", "dues-sheet", "change"),
        ])


def _watch_for_checkup():
    """The organisation subtrees whose checkup a change bears on (re-checked when the transaction commits)."""
    from dangjian.checkup.watch import register_watch
    from dangjian.orgs.models import PartyOrg

    from .models import DuesPayment, DuesProfile, HeartToHeart, Meeting, StudyRecord

    # a meeting of a 党小组 counts for its branch too
    register_watch(Meeting, lambda m: [m.org_path[:-PartyOrg.steplen] if m.org.kind == PartyOrg.Kind.GROUP
                                       else m.org_path])
    register_watch(DuesPayment, lambda p: [p.org_path])
    register_watch(DuesProfile, lambda p: [p.member.org_path])
    register_watch(HeartToHeart, lambda t: [t.org_path])
    register_watch(StudyRecord, lambda s: [s.org_path])
