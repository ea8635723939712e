from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from wangge.cases import ledgers  # noqa: F401 - registers the cases ledger
        from wangge.cases.services import cases_follow_place, cases_sweep
        from wangge.core import sweep
        from wangge.territory.signals import place_moved

        sweep.register("cases", cases_sweep)
        place_moved.connect(cases_follow_place, dispatch_uid="cases_follow_place")
