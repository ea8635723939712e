"""The campaign services: who may write what, every refusal writing nothing, and what each write records."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conftest import Cast
from wangge.campaigns import services
from wangge.campaigns.models import (
    Campaign,
    Evidence,
    EvidenceKind,
    Indicator,
    IndicatorAssignment,
    Level,
    Method,
    Phase,
    PlanTask,
    TaskStatus,
)
from wangge.campaigns.tests.conftest import END, START, Tree, files_in, jpeg
from wangge.cases import services as case_services
from wangge.cases.models import Category
from wangge.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("english")

JULY = datetime.date(2014, 7, 1)


def pdf(name: str = "纪要.pdf", body: bytes = b"%PDF-1.4\n% minutes\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


class Unchanged:
    """Counts of every campaign table and of the audit log, to show a refused write wrote nothing."""

    MODELS = (Campaign, Indicator, IndicatorAssignment, Phase, PlanTask, Evidence, AuditEvent)

    def __init__(self) -> None:
        self.before = self.counts()

    @staticmethod
    def counts() -> dict[str, int]:
        return {model.__name__: model.objects.count() for model in Unchanged.MODELS}

    def check(self) -> None:
        assert self.counts() == self.before


def refused(error: type[Exception], call, *args, **kwargs) -> Exception:
    """Call a service that must refuse; nothing may have been written."""
    unchanged = Unchanged()
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    unchanged.check()
    return caught.value


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class CampaignTests:
    def test_it_creates_a_campaign_with_every_grid_taking_part_and_the_published_group(self, cast: Cast):
        from wangge.territory import services as territory_services

        group = territory_services.leadership_group_create(actor=None, area=cast.home, name="领导小组")
        campaign = services.campaign_create(
            actor=cast.director, community=cast.home, name=" 四城联创 ", starts_on=START, ends_on=END
        )
        assert campaign.name == "四城联创"
        assert set(campaign.areas.all()) == {cast.grid1, cast.grid2}
        assert campaign.leadership_group == group
        assert campaign.area_path == cast.home.path
        event = AuditEvent.objects.get(action="campaign.create")
        assert (event.actor, event.object_id) == (cast.director, str(campaign.pk))

    @pytest.mark.parametrize("who", ["grid_leader", "grid_worker", "auditor", "outsider"])
    def test_it_lets_only_the_director_run_a_campaign(self, cast: Cast, who: str):
        refused(
            PermissionDenied,
            services.campaign_create,
            actor=getattr(cast, who),
            community=cast.home,
            name="四城联创",
            starts_on=START,
            ends_on=END,
        )

    def test_it_refuses_bad_facts(self, cast: Cast, tree: Tree):
        base = {"actor": cast.director, "community": cast.home, "starts_on": START, "ends_on": END}
        error = refused(
            ValidationError,
            services.campaign_create,
            **{**base, "name": "x", "ends_on": START - datetime.timedelta(days=1)},
        )
        assert "The end date is before the start date." in messages(error)
        error = refused(ValidationError, services.campaign_create, **{**base, "name": "四城联创"})
        assert "already has a campaign with this name" in messages(error)
        error = refused(ValidationError, services.campaign_create, **{**base, "name": "x", "areas": [cast.next_grid]})
        assert "Not a grid of this community: 邻里第一网格" in messages(error)
        error = refused(ValidationError, services.campaign_create, **{**base, "community": cast.grid1, "name": "x"})
        assert "A campaign is run by a community." in messages(error)

    def test_it_will_not_shrink_the_period_past_planned_tasks(self, cast: Cast, tree: Tree):
        plan = services.work_plan_create(actor=cast.director, campaign=tree.campaign, name="工作计划表")
        phase = services.phase_save(
            actor=cast.director,
            plan=plan,
            name="巩固提升",
            starts_on=datetime.date(2014, 9, 16),
            ends_on=datetime.date(2014, 10, 15),
        )
        error = refused(
            ValidationError,
            services.campaign_update,
            actor=cast.director,
            campaign=tree.campaign,
            ends_on=datetime.date(2014, 9, 30),
        )
        assert "lie outside these dates" in messages(error)
        assert phase.pk

    def test_it_keeps_a_grid_with_assignments_in_the_campaign(self, cast: Cast, tree: Tree):
        services.assignment_save(actor=cast.director, indicator=tree.bins, area=cast.grid2, person=cast.director)
        error = refused(
            ValidationError, services.campaign_update, actor=cast.director, campaign=tree.campaign, areas=[cast.grid1]
        )
        assert "cannot leave the campaign" in messages(error)

    def test_it_starts_only_when_the_points_add_up(self, cast: Cast, tree: Tree):
        services.indicator_save(
            actor=cast.director, campaign=tree.campaign, indicator=tree.bins, level=Level.STANDARD, code="1.1.2",
            text=tree.bins.text, points=4, parent=tree.content11, method=Method.FIELD,
        )  # fmt: skip
        error = refused(
            ValidationError, services.campaign_set_status, actor=cast.director, campaign=tree.campaign, status="active"
        )
        text = messages(error)
        assert "1.1 has 8.00 points, but the indicators under it add up to 9.00." in text
        assert "1 has 12.00 points, but the indicators under it add up to 13.00." not in text  # 1.1 still says 8
        assert "The items add up to 20.00 points" not in text
        assert Campaign.objects.get().status == "draft"


class IndicatorTests:
    def test_it_refuses_a_broken_hierarchy(self, cast: Cast, tree: Tree):
        base = {
            "actor": cast.director,
            "campaign": tree.campaign,
            "text": "新指标",
            "points": 1,
            "method": Method.FIELD,
        }
        error = refused(ValidationError, services.indicator_save, **base, level=Level.CONTENT, code="9.1")
        assert "A content belongs to an item, and a standard to a content." in messages(error)
        error = refused(
            ValidationError, services.indicator_save, **base, level=Level.STANDARD, code="9.9", parent=tree.item1
        )
        assert "A content belongs to an item, and a standard to a content." in messages(error)
        error = refused(ValidationError, services.indicator_save, **base, level=Level.ITEM, code="9", parent=tree.item1)
        assert "An item is at the top of the indicator system." in messages(error)

    def test_it_refuses_bad_values(self, cast: Cast, tree: Tree):
        base = {"actor": cast.director, "campaign": tree.campaign, "level": Level.STANDARD, "parent": tree.content11}
        cases = [
            ({"code": "1.1.1", "text": "重复", "points": 1, "method": Method.FIELD}, "Number 1.1.1 is already used"),
            (
                {"code": "1.1.9", "text": "负分", "points": -1, "method": Method.FIELD},
                "Points must be between 0 and 99999.",
            ),
            ({"code": "1.1.9", "text": "非数", "points": "五", "method": Method.FIELD}, "Enter a number of points."),
            ({"code": "1.1.9", "text": "无方法", "points": 1}, "Say how the standard is assessed."),
            ({"code": "1.1.9", "text": " ", "points": 1, "method": Method.FIELD}, "Give the indicator a text."),
        ]
        for fields, message in cases:
            assert message in messages(refused(ValidationError, services.indicator_save, **base, **fields))

    def test_it_lets_only_the_director_edit_the_tree(self, cast: Cast, tree: Tree):
        for who in (cast.grid_leader, cast.outsider):
            refused(
                PermissionDenied, services.indicator_save, actor=who, campaign=tree.campaign, level=Level.ITEM,
                code="3", text="新项目", points=0,
            )  # fmt: skip
            refused(PermissionDenied, services.indicator_delete, actor=who, indicator=tree.bins)

    def test_it_deletes_only_a_node_with_nothing_under_it(self, cast: Cast, tree: Tree):
        error = refused(ValidationError, services.indicator_delete, actor=cast.director, indicator=tree.content11)
        assert "Remove the indicators under it first." in messages(error)
        services.assignment_save(actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
        error = refused(ValidationError, services.indicator_delete, actor=cast.director, indicator=tree.bins)
        assert "cannot be removed" in messages(error)
        services.indicator_delete(actor=cast.director, indicator=tree.ledger)
        assert not Indicator.objects.filter(code="2.1.2").exists()
        assert AuditEvent.objects.filter(action="indicator.delete", object_id=str(tree.ledger.pk)).exists()

    def test_it_clears_what_only_a_standard_has_from_the_levels_above(self, cast: Cast, tree: Tree):
        item = services.indicator_save(
            actor=cast.director, campaign=tree.campaign, level=Level.ITEM, code="3", text="宣传氛围", points=0,
            method=Method.FIELD, scoring="inspections", inspection_target="shop",
        )  # fmt: skip
        assert (item.method, item.scoring, item.inspection_target, item.evidence_required) == ("", "manual", "", 0)


class AssignmentTests:
    def test_it_assigns_a_standard_and_tells_the_person(self, cast: Cast, tree: Tree):
        assignment = services.assignment_save(
            actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader, target="每楼一组",
            due_on=datetime.date(2014, 8, 31),
        )  # fmt: skip
        assert assignment.area_path == cast.grid1.path
        assert cast.grid_leader.notifications.filter(event="campaign.assigned").count() == 1
        again = services.assignment_save(
            actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_worker
        )
        assert again.pk == assignment.pk and again.person == cast.grid_worker

    def test_it_refuses_an_area_outside_the_campaign(self, cast: Cast, tree: Tree):
        services.campaign_update(actor=cast.director, campaign=tree.campaign, areas=[cast.grid1])
        error = refused(
            ValidationError, services.assignment_save, actor=cast.director, indicator=tree.bins, area=cast.grid2,
            person=cast.grid_leader,
        )  # fmt: skip
        assert "第二网格 does not take part in this campaign." in messages(error)
        error = refused(
            ValidationError, services.assignment_save, actor=cast.director, indicator=tree.bins, area=cast.next_grid,
            person=cast.grid_leader,
        )  # fmt: skip
        assert "does not take part in this campaign" in messages(error)

    def test_it_refuses_what_cannot_be_assigned(self, cast: Cast, tree: Tree):
        base = {"actor": cast.director, "area": cast.grid1, "person": cast.grid_leader}
        error = refused(ValidationError, services.assignment_save, **base, indicator=tree.content11)
        assert "Only a standard is assigned" in messages(error)
        error = refused(
            ValidationError, services.assignment_save, **{**base, "person": cast.outsider}, indicator=tree.bins
        )
        assert "No such person among the staff of your areas." in messages(error)
        error = refused(
            ValidationError, services.assignment_save, **{**base, "person": cast.auditor}, indicator=tree.bins
        )
        assert "审计员戊 is not office or grid staff of 第一网格." in messages(error)
        error = refused(
            ValidationError, services.assignment_save, **base, indicator=tree.bins, due_on=datetime.date(2015, 1, 1)
        )
        assert "The date must lie within the campaign (2014-06-01 to 2014-10-31)." in messages(error)

    def test_it_lets_the_person_score_by_hand_within_the_points(self, cast: Cast, tree: Tree):
        assignment = services.assignment_save(
            actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader
        )
        error = refused(
            ValidationError, services.assignment_score, actor=cast.grid_leader, assignment=assignment, score="3.5"
        )
        assert "cannot exceed the standard's 3.00 points" in messages(error)
        refused(PermissionDenied, services.assignment_score, actor=cast.grid_worker, assignment=assignment, score="2")
        scored = services.assignment_score(actor=cast.grid_leader, assignment=assignment, score="2.5", note="两处缺桶")
        assert (scored.score, scored.scored_by, scored.score_note) == (Decimal("2.50"), cast.grid_leader, "两处缺桶")
        derived = services.assignment_save(
            actor=cast.director, indicator=tree.sweep, area=cast.grid1, person=cast.grid_leader
        )
        error = refused(ValidationError, services.assignment_score, actor=cast.director, assignment=derived, score="4")
        assert "scored from wangge's records" in messages(error)


@pytest.fixture
def phase(cast: Cast, tree: Tree) -> Phase:
    plan = services.work_plan_create(actor=cast.director, campaign=tree.campaign, name="工作计划表")
    return services.phase_save(
        actor=cast.director, plan=plan, name="集中整治", kind="remediation", starts_on=datetime.date(2014, 6, 16),
        ends_on=datetime.date(2014, 9, 15),
    )  # fmt: skip


class PlanTests:
    def test_it_keeps_phases_inside_the_campaign_and_tasks_inside_their_phase(self, cast: Cast, phase: Phase):
        error = refused(
            ValidationError, services.phase_save, actor=cast.director, plan=phase.plan, name="迎检",
            starts_on=datetime.date(2014, 10, 16), ends_on=datetime.date(2014, 11, 5),
        )  # fmt: skip
        assert "within the campaign" in messages(error)
        error = refused(
            ValidationError, services.task_save, actor=cast.director, plan=phase.plan, phase=phase, title="清理楼道",
            owner=cast.grid_worker, area=cast.grid1, starts_on=datetime.date(2014, 6, 10), due_on=JULY,
        )  # fmt: skip
        assert "must lie within its phase (2014-06-16 to 2014-09-15)" in messages(error)

    def test_it_refuses_an_owner_or_area_from_elsewhere_and_standards_of_other_campaigns(
        self, cast: Cast, tree: Tree, phase: Phase
    ):
        base = {
            "actor": cast.director, "plan": phase.plan, "phase": phase, "title": "清理楼道", "owner": cast.grid_worker,
            "area": cast.grid1, "starts_on": datetime.date(2014, 6, 20), "due_on": JULY,
        }  # fmt: skip
        assert "No such person" in messages(
            refused(ValidationError, services.task_save, **{**base, "owner": cast.outsider})
        )
        assert "does not take part" in messages(
            refused(ValidationError, services.task_save, **{**base, "area": cast.next_grid})
        )
        assert "its own campaign" in messages(
            refused(ValidationError, services.task_save, **base, indicators=[tree.item1])
        )

    def test_it_lets_the_owner_report_on_a_task_but_not_another_worker(self, cast: Cast, tree: Tree, phase: Phase):
        task = services.task_save(
            actor=cast.director, plan=phase.plan, phase=phase, title="清理楼道", owner=cast.grid_leader,
            area=cast.grid1, starts_on=datetime.date(2014, 6, 20), due_on=JULY, indicators=[tree.bins],
        )  # fmt: skip
        refused(PermissionDenied, services.task_set_status, actor=cast.grid_worker, task=task, status=TaskStatus.DONE)
        refused(
            PermissionDenied, services.task_set_status, actor=cast.grid_leader, task=task, status=TaskStatus.CANCELLED
        )
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        error = refused(
            ValidationError,
            services.task_set_status,
            actor=cast.grid_leader,
            task=task,
            status="done",
            done_on=tomorrow,
        )
        assert "cannot be done in the future" in messages(error)
        done = services.task_set_status(
            actor=cast.grid_leader, task=task, status="done", done_on=datetime.date(2014, 6, 30)
        )
        assert (done.status, done.done_on) == ("done", datetime.date(2014, 6, 30))
        reopened = services.task_set_status(actor=cast.grid_leader, task=task, status="doing", done_on=JULY)
        assert reopened.done_on is None


class EvidenceTests:
    def file(self, cast: Cast, tree: Tree, **fields):
        values = {
            "actor": cast.grid_leader, "indicator": tree.ledger, "area": cast.grid1, "kind": EvidenceKind.DOCUMENT,
            "title": "七月例会纪要", "occurred_on": JULY, **fields,
        }  # fmt: skip
        return services.evidence_file(**values)

    def test_it_files_a_document_under_a_random_name_keeping_the_users_name(self, cast: Cast, tree: Tree, media: Path):
        evidence = self.file(cast, tree, upload=pdf("..\\..\\七月例会纪要.pdf"))
        assert evidence.file_name == "七月例会纪要.pdf"
        assert evidence.content_type == "application/pdf"
        assert "七月" not in evidence.file.name and evidence.file.name.endswith(".pdf")
        assert [path.read_bytes() for path in files_in(media)] == [b"%PDF-1.4\n% minutes\n"]
        assert AuditEvent.objects.filter(action="evidence.file", object_id=str(evidence.pk)).exists()

    def test_it_re_encodes_a_photo(self, cast: Cast, tree: Tree, media: Path):
        evidence = self.file(cast, tree, kind=EvidenceKind.PHOTO, upload=jpeg())
        assert (evidence.file_name, evidence.content_type) == ("现场.jpg", "image/jpeg")
        assert files_in(media)[0].read_bytes()[:2] == b"\xff\xd8"

    @pytest.mark.parametrize(
        ("upload", "message"),
        [
            (SimpleUploadedFile("run.exe", b"MZ\x90\x00"), "This type of file is not accepted."),
            (SimpleUploadedFile("纪要.pdf", b"#!/bin/sh\nrm -rf /"), "The file's content is not a PDF file."),
            (SimpleUploadedFile("表.xlsx", b"PK\x03\x04 broken"), "The file's content is not a XLSX file."),
            (SimpleUploadedFile("空.pdf", b""), "The file is empty."),
        ],
    )
    def test_it_refuses_a_file_that_is_not_what_it_says(self, cast: Cast, tree: Tree, media: Path, upload, message):
        error = refused(ValidationError, self.file, cast, tree, upload=upload)
        assert message in messages(error)
        assert files_in(media) == []

    def test_it_refuses_a_file_that_is_too_large(self, cast: Cast, tree: Tree, media: Path, settings):
        settings.EVIDENCE_MAX_BYTES = 1024 * 1024
        error = refused(ValidationError, self.file, cast, tree, upload=pdf(body=b"%PDF-" + b"0" * (1024 * 1024)))
        assert "This file is too large (at most 1 MB)." in messages(error)
        assert files_in(media) == []

    def test_it_refuses_evidence_outside_the_filers_areas_or_the_campaign(self, cast: Cast, tree: Tree, media: Path):
        refused(PermissionDenied, self.file, cast, tree, area=cast.grid2, upload=pdf())
        refused(PermissionDenied, self.file, cast, tree, actor=cast.outsider, area=cast.next_grid, upload=pdf())
        refused(PermissionDenied, self.file, cast, tree, actor=cast.auditor, area=cast.home, upload=pdf())
        services.campaign_update(actor=cast.director, campaign=tree.campaign, areas=[cast.grid2])
        error = refused(ValidationError, self.file, cast, tree, upload=pdf())
        assert "第一网格 does not take part in this campaign." in messages(error)
        assert files_in(media) == []

    def test_it_refuses_bad_facts(self, cast: Cast, tree: Tree, media: Path):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        assert "cannot be in the future" in messages(
            refused(ValidationError, self.file, cast, tree, occurred_on=tomorrow, upload=pdf())
        )
        assert "Attach the file." in messages(refused(ValidationError, self.file, cast, tree))
        assert "Write the minutes" in messages(
            refused(ValidationError, self.file, cast, tree, kind=EvidenceKind.MEETING)
        )
        assert "against a standard" in messages(
            refused(ValidationError, self.file, cast, tree, indicator=tree.content21, upload=pdf())
        )
        assert files_in(media) == []

    def test_it_links_only_records_the_filer_sees_in_the_community(self, cast: Cast, tree: Tree):
        category = Category.objects.get(code="C04")
        ours = case_services.case_report(
            actor=None, category=category, description="楼道堆物", source="resident", compound=cast.compound1
        )
        theirs = case_services.case_report(
            actor=None, category=category, description="楼道堆物", source="resident", compound=cast.next_compound
        )
        error = refused(ValidationError, self.file, cast, tree, kind=EvidenceKind.CASE, case=theirs)
        assert "No such record in 第一网格." in messages(error)
        next_grid = case_services.case_report(
            actor=None, category=category, description="楼道堆物", source="resident", compound=cast.compound2
        )
        error = refused(
            ValidationError, self.file, cast, tree, actor=cast.director, kind=EvidenceKind.CASE, case=next_grid
        )
        assert "No such record in 第一网格." in messages(error)  # grid 2's case is not grid 1's evidence
        error = refused(ValidationError, self.file, cast, tree, kind=EvidenceKind.NOTICE)
        assert "Choose the record" in messages(error)
        evidence = self.file(cast, tree, kind=EvidenceKind.CASE, case=ours, compound=cast.compound1)
        assert (evidence.case, evidence.compound, evidence.file.name) == (ours, None, "")

    def test_it_keeps_withdrawn_evidence_out_of_the_ledger(self, cast: Cast, tree: Tree):
        evidence = self.file(cast, tree, kind=EvidenceKind.MEETING, text="会议记录：到会12人。")
        refused(PermissionDenied, services.evidence_withdraw, actor=cast.grid_worker, evidence=evidence, reason="错了")
        assert "Say why" in messages(
            refused(ValidationError, services.evidence_withdraw, actor=cast.grid_leader, evidence=evidence, reason=" ")
        )
        services.evidence_withdraw(actor=cast.grid_leader, evidence=evidence, reason="重复上传")
        assert not Evidence.objects.current().exists()
        kept = Evidence.objects.get()
        assert (kept.withdrawn_by, kept.withdrawn_reason, kept.text) == (
            cast.grid_leader,
            "重复上传",
            "会议记录：到会12人。",
        )
        assert "already withdrawn" in messages(
            refused(ValidationError, services.evidence_withdraw, actor=cast.director, evidence=kept, reason="再撤")
        )


class RecordTests:
    def test_it_keeps_an_ended_campaign_as_it_was(self, cast: Cast, tree: Tree):
        assignment = services.assignment_save(
            actor=cast.director, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader
        )
        services.campaign_set_status(actor=cast.director, campaign=tree.campaign, status="active")
        services.campaign_set_status(actor=cast.director, campaign=tree.campaign, status="closed")
        ended = "This campaign has ended"
        assert ended in messages(
            refused(
                ValidationError, services.assignment_score, actor=cast.grid_leader, assignment=assignment, score="1"
            )
        )
        assert ended in messages(
            refused(
                ValidationError, services.evidence_file, actor=cast.grid_leader, indicator=tree.bins, area=cast.grid1,
                kind=EvidenceKind.MEETING, title="补交", occurred_on=JULY, text="纪要",
            )
        )  # fmt: skip
        assert ended in messages(
            refused(ValidationError, services.indicator_delete, actor=cast.director, indicator=tree.ledger)
        )
        services.campaign_set_status(actor=cast.director, campaign=tree.campaign, status="active")
        assert services.assignment_score(actor=cast.grid_leader, assignment=assignment, score="1").score == 1

    def test_it_audits_the_grids_and_standards_that_change(self, cast: Cast, tree: Tree, phase: Phase):
        services.campaign_update(actor=cast.director, campaign=tree.campaign, areas=[cast.grid1])
        event = AuditEvent.objects.filter(action="campaign.update").latest("id")
        assert (event.before["areas"], event.after["areas"]) == ([cast.grid1.code, cast.grid2.code], [cast.grid1.code])
        base = {
            "actor": cast.director, "plan": phase.plan, "phase": phase, "title": "清理楼道", "owner": cast.grid_worker,
            "area": cast.grid1, "starts_on": datetime.date(2014, 6, 20), "due_on": JULY,
        }  # fmt: skip
        task = services.task_save(**base, indicators=[tree.bins])
        services.task_save(**base, indicators=[tree.bins, tree.sweep], task=task)
        event = AuditEvent.objects.filter(action="plan_task.update").latest("id")
        assert (event.before["indicators"], event.after["indicators"]) == (["1.1.2"], ["1.1.1", "1.1.2"])

    def test_it_records_the_stored_file_in_the_audit_event(self, cast: Cast, tree: Tree):
        evidence = services.evidence_file(
            actor=cast.grid_leader, indicator=tree.ledger, area=cast.grid1, kind=EvidenceKind.DOCUMENT, title="纪要",
            occurred_on=JULY, upload=pdf(),
        )  # fmt: skip
        event = AuditEvent.objects.get(action="evidence.file")
        assert event.after["file"] == evidence.file.name != ""

    def test_it_lets_an_owner_report_progress_but_not_reset_the_plan(self, cast: Cast, tree: Tree, phase: Phase):
        task = services.task_save(
            actor=cast.director, plan=phase.plan, phase=phase, title="清理楼道", owner=cast.grid_leader,
            area=cast.grid1, starts_on=datetime.date(2014, 6, 20), due_on=JULY,
        )  # fmt: skip
        services.task_set_status(actor=cast.grid_leader, task=task, status="done", done_on=JULY)
        error = refused(PermissionDenied, services.task_set_status, actor=cast.grid_leader, task=task, status="todo")
        assert "Only the community director cancels or resets a task." in str(error)
        assert services.task_set_status(actor=cast.director, task=task, status="todo").status == "todo"

    def test_it_refuses_far_off_dates(self, cast: Cast):
        error = refused(
            ValidationError, services.campaign_create, actor=cast.director, community=cast.home, name="远古",
            starts_on=datetime.date(1, 1, 1), ends_on=END,
        )  # fmt: skip
        assert "Choose a date between 1900 and 2100." in messages(error)

    def test_it_tells_nobody_of_the_systems_own_assignments(self, cast: Cast, tree: Tree):
        services.assignment_save(actor=None, indicator=tree.bins, area=cast.grid1, person=cast.grid_leader)
        assert not cast.grid_leader.notifications.exists()
