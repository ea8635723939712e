"""The REST API fuzzed against its own schema: schemathesis generates requests for every operation of
`/api/schema/` (valid ones and invalid ones), sends them in-process through the WSGI app as the director of
俭学街社区 with an API key, and checks that nothing answers with a server error and that every answer is the one
the schema promises (status code, content type, body).

Bounded and reproducible for CI: a fixed number of examples per operation, derandomized, no deadline.
Path parameters and the references in queries and bodies (grid, compound, campaign ...) are drawn half from the
real objects of a small community, and creates get the fields their validation needs right a third of the time,
so the fuzzer reaches the details, the actions and the writes, not only their 404s and 400s.
"""

import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from wangge.accounts import services as account_services
from wangge.campaigns.tests.conftest import build_tree
from wangge.campaigns.tests.test_api import build_world
from wangge.cases import services as case_services
from wangge.cases.models import Category
from wangge.inspections.tests.test_api import inspect
from wangge.people.tests.conftest import id_number, people  # noqa: F401 - the fixture, reused
from wangge.territory.models import Assignment

pytestmark = pytest.mark.slow

# Valid requests per operation (invalid ones: a third of it): one to two minutes for the whole schema on two shared
# cores. More for a deeper search by hand: WANGGE_FUZZ_EXAMPLES=200.
EXAMPLES = int(os.environ.get("WANGGE_FUZZ_EXAMPLES", "15"))
NEGATIVE_EXAMPLES = max(EXAMPLES // 3, 1)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def media(settings, tmp_path):
    """Photos and evidence the fuzzer uploads land in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


# In a `valid` template: leave the field out of the request.
DROP_FIELD = object()
DROP = st.just(DROP_FIELD)


def serial(prefix: str):
    """A fresh code for each create, within the codes' pattern."""
    return st.integers(1, 10**6).map(lambda number: f"{prefix}{number}")


@dataclass
class Community:
    """What the fuzzer draws from: real objects by path prefix (for path parameters) and by field name (for the
    references in request bodies)."""

    objects: dict[str, list[Any]]
    references: dict[str, list[Any]]
    valid: dict[str, Any]  # by "METHOD path": a strategy of the fields a create needs right to get past validation


@pytest.fixture
def community(cast, people, media) -> Community:  # noqa: F811 - the imported fixture
    """The fixed cast with its people, a campaign with a plan and evidence, cases in several states and an
    inspection."""
    world = build_world(cast, build_tree(cast))
    complaint = Category.objects.get(code="C04")
    cases = [
        case_services.case_report(
            actor=None, category=complaint, description="楼道里很吵", source="resident", compound=compound
        )
        for compound in (cast.compound1, cast.compound2, cast.compound1, cast.next_compound)
    ]
    case_services.case_act(actor=cast.director, case=cases[1], action="register")
    case_services.case_act(actor=cast.director, case=cases[2], action="register")
    case_services.case_act(actor=cast.director, case=cases[2], action="dispatch", assignee=cast.grid_worker)
    inspection = inspect(cast, cast.compound1, "compound-sanitation", failing=())
    grids = [cast.grid1.code, cast.grid2.code]
    compounds = [cast.compound1.code, cast.compound2.code]
    return Community(
        objects={
            "/api/v1/areas/": [area.code for area in (cast.home, cast.grid1, cast.grid2, cast.next_grid)],
            "/api/v1/assignments/": list(Assignment.objects.values_list("pk", flat=True)),
            "/api/v1/buildings/": [cast.building1.code, cast.office.code, people.building2.code],
            "/api/v1/compounds/": [*compounds, cast.next_compound.code],
            "/api/v1/shops/": [cast.shop1.code, cast.shop2.code, cast.next_shop.code],
            "/api/v1/partner-units/": [cast.partner.code],
            "/api/v1/case-categories/": ["C04", "C01"],
            "/api/v1/cases/": [case.number for case in cases],
            "/api/v1/residents/": [people.adult.pk, people.child.pk, people.grid2.pk, people.next_door.pk],
            "/api/v1/households/": [people.household.pk],
            "/api/v1/inspections/": [inspection.pk],
            "/api/v1/checklists/": [inspection.checklist_id],
            "/api/v1/campaigns/": [world.tree.campaign.pk],
            "/api/v1/indicators/": [world.tree.sweep.pk, world.tree.item1.pk, world.tree.ledger.pk],
            "/api/v1/work-plans/tasks/": [world.task_grid1.pk, world.task_grid2.pk],
            "/api/v1/work-plans/": [world.plan.pk],
            "/api/v1/evidence/": [world.document.pk, world.photo.pk, world.meeting.pk],
        },
        references={
            "area": [*grids, cast.home.code],
            "grid": grids,
            "compound": compounds,
            "shop": [cast.shop1.code],
            "trade": ["restaurant", "salon"],
            "category": ["C04"],
            "dwelling": [cast.dwellings[0].pk, people.other_dwelling.pk],
            "household": [people.household.pk],
            "person": [cast.grid_worker.username, cast.grid_leader.username],
            "assignee": [cast.grid_worker.username],
            "place": [cast.compound1.code, cast.building1.code, cast.shop1.code],
            "checklist": [inspection.checklist_id],
            "indicator": [world.tree.sweep.pk, world.tree.ledger.pk],
            "campaign": [world.tree.campaign.pk],
            "case": [cases[0].number],
            "inspection": [inspection.pk],
        },
        valid={
            "POST /api/v1/compounds/": st.fixed_dictionaries(
                {"code": serial("FZ-C"), "name": st.just("模糊测试院"), "management": st.just("none")}
                | {"area": st.just(cast.grid1.code), "longitude": st.none(), "latitude": st.none()}
            ),
            "POST /api/v1/buildings/": st.fixed_dictionaries(
                {"code": serial("FZ-B"), "name": st.just("模糊测试楼"), "compound": st.just(cast.compound1.code)}
                | {"kind": st.just("residential"), "area": DROP, "longitude": st.none(), "latitude": st.none()}
            ),
            "POST /api/v1/shops/": st.fixed_dictionaries(
                {"code": serial("FZ-S"), "name": st.just("模糊测试店"), "trade": st.just("restaurant")}
                | {"area": st.just(cast.grid1.code), "address": st.just("俭学街9号"), "contact_phone": DROP}
                | {"longitude": st.none(), "latitude": st.none()}
            ),
            "POST /api/v1/residents/": st.fixed_dictionaries(
                {"name": st.just("模糊测试"), "dwelling": st.just(cast.dwellings[1].pk), "phone": DROP}
                | {"id_number": st.integers(100, 999).map(lambda n: id_number("19850606", str(n)))}
                | {"residence": st.just("registered"), "birth_date": DROP, "household": DROP, "relation": DROP}
                | {"moved_in_on": DROP, "sex": DROP}
            ),
            "POST /api/v1/cases/": st.fixed_dictionaries(
                {
                    "category": st.just("C04"),
                    "description": st.just("楼道里很吵"),
                    "compound": st.just(cast.compound1.code),
                }
                | {name: DROP for name in ("source", "shop", "grid", "longitude", "latitude", "attributes")}
                | {name: DROP for name in ("reporter_phone", "reporter_email")}
            ),
        },
    )


@pytest.fixture
def app():
    """The WSGI app, called in-process inside the test's transaction. Like Django's test client, it must not close
    the database connection at the end of each request (on PostgreSQL that would end the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(app, community):
    """The published schema, loaded through the app; path parameters and references in bodies are drawn half
    from real objects, so the fuzzer gets past "not found" to the details, the actions and the writes."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)

    @schema.hook
    def before_generate_path_parameters(context, strategy):
        path = context.operation.path
        prefix = max((p for p in community.objects if path.startswith(p)), key=len, default=None)
        names = [parameter.name for parameter in context.operation.path_parameters]
        if prefix is None or not community.objects[prefix] or len(names) != 1:
            return strategy
        real = st.fixed_dictionaries({names[0]: st.sampled_from([str(v) for v in community.objects[prefix]])})
        return st.one_of(real, strategy)

    def with_references(values):
        names = [name for name in values if name in community.references] if isinstance(values, dict) else []
        if not names:
            return st.just(values)
        real = st.fixed_dictionaries({name: st.sampled_from(community.references[name]) for name in names})
        return st.one_of(st.just(values), real.map(lambda chosen: {**values, **chosen}))

    def made_valid(body, fields):
        merged = {**body, **fields}
        return {name: value for name, value in merged.items() if value is not DROP_FIELD}

    @schema.hook
    def flatmap_body(context, body):
        strategy = with_references(body)
        valid = community.valid.get(f"{context.operation.method.upper()} {context.operation.path}")
        if valid is None or not isinstance(body, dict):
            return strategy
        return st.one_of(strategy, valid.map(lambda fields: made_valid(body, fields)))

    @schema.hook
    def flatmap_query(context, query):
        return with_references(query)

    return schema


@pytest.fixture
def api_key(cast) -> str:
    _api_key, key = account_services.api_key_create(actor=None, user=cast.director, name="fuzz")
    return key


def fuzz(operation, mode: GenerationMode, examples: int, key: str, answers: Counter) -> None:
    """Send `examples` generated requests to one operation; raise at the first that fails a check. `answers`
    counts the status codes."""

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        # A savepoint per request: a query that fails on PostgreSQL does not poison the requests after it.
        with transaction.atomic():
            response = case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)
        answers[response.status_code] += 1

    run()


def test_every_operation_answers_as_its_schema_says(api_schema, api_key):
    """schemathesis' pytest loader for a fixture's schema does not run on pytest 9, so the operations are walked
    here; every failure is collected, so one run names all of them."""
    failures = []
    answers: dict[str, Counter] = defaultdict(Counter)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 70, "the schema lost operations"
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, EXAMPLES), (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):
            # Each operation starts from the same community: what a PUT renamed, the PATCH after it still finds.
            with transaction.atomic():
                try:
                    fuzz(operation, mode, examples, api_key, answers[operation.label])
                except Unsatisfiable:
                    pass  # nothing invalid to send: a string in the path, no query and no body
                except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - all reported below, with requests
                    failures.append(f"{operation.label} ({mode.value}):\n{error}")
                transaction.set_rollback(True)
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
    # Every answer conforming is worth something only if the requests got in: signed in, and past "not found".
    assert not [label for label, counter in answers.items() if counter[401]], "the API key was refused"
    unread = [label for label, counter in answers.items() if label.startswith("GET ") and not counter[200]]
    assert not unread, f"no read answered 200: {unread}"
    if os.environ.get("WANGGE_FUZZ_REPORT"):
        for label, counter in answers.items():
            print(label, dict(sorted(counter.items())))
