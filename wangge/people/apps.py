from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "wangge.people"
    verbose_name = _("People")

    def ready(self) -> None:
        from wangge.core import sweep
        from wangge.people import ledgers  # noqa: F401 - registers the residents' and households' ledgers
        from wangge.people.coverage import HOUSEHOLDS
        from wangge.people.services import people_sweep
        from wangge.territory.selectors import register_coverage_kind

        sweep.register("people", people_sweep)
        register_coverage_kind(HOUSEHOLDS)
