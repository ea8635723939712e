from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "wangge.territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        # Registers the place ledgers and tells the ledger pages which communities a user may import into.
        from wangge.territory import ledgers  # noqa: F401
