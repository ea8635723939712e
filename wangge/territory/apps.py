from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "wangge.territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Registers the place ledgers and tells the ledger pages which communities a user may import into.
        from wangge.territory import ledgers  # noqa: F401
        from wangge.territory.models import Area
        from wangge.territory.selectors import forget_grid_locators

        # A process drops its point-in-grid trees as soon as it saves or deletes an area (a grid's boundary).
        post_save.connect(forget_grid_locators, sender=Area, dispatch_uid="territory.forget_grid_locators.save")
        post_delete.connect(forget_grid_locators, sender=Area, dispatch_uid="territory.forget_grid_locators.delete")
