from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from wangge.cases.services import cases_sweep
        from wangge.core import sweep

        sweep.register("cases", cases_sweep)
