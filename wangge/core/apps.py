from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "wangge.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from wangge.core import notifications, sweep, tasks

        def deliver(*, now=None) -> dict[str, int]:
            report = notifications.deliver_due(now=now)
            return {"sent": report.sent, "retrying": report.retrying, "dead": report.dead}

        sweep.register("notifications", deliver)
        sweep.register("imports", tasks.imports_sweep)
