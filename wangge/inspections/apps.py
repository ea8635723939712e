from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "wangge.inspections"
    verbose_name = _("Inspections")

    def ready(self) -> None:
        from wangge.core import sweep
        from wangge.inspections import ledgers  # noqa: F401 - registers the checklists' and inspections' ledgers
        from wangge.inspections.coverage import VISITS
        from wangge.inspections.services import inspections_follow_place, inspections_sweep
        from wangge.territory.selectors import register_coverage_gap
        from wangge.territory.signals import place_moved

        sweep.register("inspections", inspections_sweep)
        place_moved.connect(inspections_follow_place, dispatch_uid="inspections_follow_place")
        register_coverage_gap(VISITS)
