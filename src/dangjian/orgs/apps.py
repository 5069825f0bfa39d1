from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "dangjian.orgs"
    label = "orgs"
    verbose_name = "党组织"

    def ready(self):
        from dangjian.core.menu import MenuItem, register_menu

        from . import importers, metrics, rules, signals  # noqa: F401

        rules.register()
        metrics.register()
        _watch_for_checkup()

        register_menu("orgs", "组织管理", "bi-diagram-3", 20, [MenuItem("组织架构", "org-tree", "view"), MenuItem("党组织列表", "org-list", "view")])


def _watch_for_checkup():
    """The organisation subtrees whose checkup a change bears on (re-checked when the transaction commits)."""
    from dangjian.checkup.watch import register_watch

    from .models import BranchCommittee, CommitteeSeat, PartyOrg

    register_watch(PartyOrg, lambda o: [o.path[:-PartyOrg.steplen] or o.path])  # the parent counts its children
    register_watch(BranchCommittee, lambda c: [c.org.path])
    register_watch(CommitteeSeat, lambda s: [s.committee.org.path])
