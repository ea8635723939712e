from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "wangge.campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from wangge.campaigns import notices
        from wangge.campaigns.services import campaigns_sweep
        from wangge.core import sweep

        sweep.register("campaigns", campaigns_sweep)
        notices.register()  # the campaign's responsible persons on every compound's notice board
