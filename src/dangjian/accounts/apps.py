from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dangjian.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import forget_tree_paths

        for sender in ("places.Region", "orgs.PartyOrg", "units.Department"):
            post_save.connect(forget_tree_paths, sender=sender, weak=False)
            post_delete.connect(forget_tree_paths, sender=sender, weak=False)
