"""The demo's campaign: 2014年四城联创 in 俭学街社区, as the reference scenario tells it, run the way the office ran it.

The district (金水区) hands down an assessment system; the community's copy here is in the shape of the
community part of a national civilised-city assessment: six items, sixteen contents, thirty-seven standards,
100 points. Each standard answered for in the field is decomposed onto all eight grids with the grid leader
responsible, the others onto the community with the director or deputy. The standards wangge keeps records
for score themselves (the compound and shop inspections' pass rates, the cases' closure and on-time closure
rates of the 2014 history); the others carry the responsible person's own score, mostly high, a few weak.
The work plan (工作计划表) runs in the four phases of the campaign, most tasks done, two left open past their
due dates and one cancelled. The ledger (台账) holds meeting minutes, small generated workbooks and PDFs,
drawn photos and links to the demo's own cases, inspections and notice boards; a few standards lack evidence
on purpose, so that completeness and readiness have something to point at. The campaign ends closed and
published, so the public supervision page shows it.

Everything goes through `wangge.campaigns.services` (the system sets up; a person files each piece of
evidence and scores what they answer for), deterministic from its own seed. Files are made-up content only.
"""

import datetime
import io
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from PIL import Image, ImageDraw

from wangge.accounts.models import Membership, User
from wangge.accounts.roles import Role
from wangge.campaigns import selectors, services
from wangge.campaigns.models import (
    Campaign,
    CampaignStatus,
    EvidenceKind,
    Indicator,
    IndicatorAssignment,
    Level,
    Method,
    PhaseKind,
    PlanTask,
    Scoring,
    TaskStatus,
)
from wangge.cases.models import Case, Source, State
from wangge.demo.scenario import CAMPAIGN
from wangge.inspections.models import Inspection, Target
from wangge.territory import selectors as territory_selectors
from wangge.territory.models import Area, AreaKind, Compound, Management, PartnerUnit, Shop

SEED = 20141031  # the campaign's last day: any fixed number would do
YEAR = CAMPAIGN.started.year
NAME = f"{YEAR}年{CAMPAIGN.name}"
ISSUER = CAMPAIGN.launched_by
GRID_DUE = "09-15"  # grid standards: by the end of the concentrated remediation
COMMUNITY_DUE = "10-15"  # community standards: by the end of consolidation, before the assessment


def day(text: str) -> datetime.date:
    """A day of the campaign's year from "MM-DD"."""
    month, dom = text.split("-")
    return datetime.date(YEAR, int(month), int(dom))


# The indicator system


@dataclass(frozen=True)
class Piece:
    """One piece of evidence a standard's ledger holds (in every grid, for a grid standard).

    `source` says what it is made from: a photo's scene, a document's maker, the minutes' text, or for a link
    which records to pick from. `day` is "MM-DD" or a range "MM-DD/MM-DD"; a link takes its record's day.
    `title` may name {grid} and {compound} (a compound of the grid).
    """

    kind: str
    title: str
    source: str
    day: str = ""


@dataclass(frozen=True)
class Std:
    """One standard (测评标准) as the system gives it, with how the community answered for it."""

    code: str
    text: str
    points: int
    method: str
    grid: bool = False  # decomposed onto every grid (the grid leader), else onto the community
    scoring: str = Scoring.MANUAL
    inspections_of: str = ""
    public: bool = False
    required: int = 1
    target: str = ""
    evidence: tuple[Piece, ...] = ()
    who: str = "director"  # a community standard's responsible person: director or deputy
    weak: tuple[float, float] | None = None  # the self-assessment's share of the points, when it is weak
    weak_note: str = ""


@dataclass(frozen=True)
class Content:
    code: str
    text: str
    points: int
    standards: tuple[Std, ...]


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    points: int
    contents: tuple[Content, ...]


M = Method
ITEMS: tuple[Item, ...] = (
    Item("1", "组织领导", 12, (
        Content("1.1", "领导小组", 4, (
            Std("1.1.1", "成立由社区主任任组长的创建工作领导小组，成员分工明确，责任落实到人", 2, M.MATERIALS,
                target="6月上旬成立领导小组并明确分工", evidence=(
                    Piece("document", "领导小组成员及分工表", "group_list", "06-04"),
                    Piece("meeting", "创建工作领导小组成立会议纪要", "group", "06-04"),
                )),
            Std("1.1.2", "领导小组成员、创建任务及责任人在公示栏公开，接受群众监督", 2, M.FIELD, public=True,
                target="社区和各楼院公示栏全部公开", evidence=(
                    Piece("photo", "社区公示栏：领导小组及责任人公示", "board", "06-10"),
                    Piece("notice", "{compound}公示栏：网格责任人公示", "C01", "06-12"),
                )),
        )),
        Content("1.2", "工作计划", 4, (
            Std("1.2.1", "制定创建工作计划表，按标准、分步骤、分阶段推进，任务有时限、有责任人", 2, M.MATERIALS,
                who="deputy", target="工作计划表6月15日前上墙", evidence=(
                    Piece("document", "四城联创工作计划表", "plan", "06-13"),
                )),
            Std("1.2.2", "测评体系逐项分解到网格和责任人，签订目标责任书", 2, M.MATERIALS, who="deputy",
                target="37项测评标准全部分解到人", evidence=(
                    Piece("document", "测评体系分解落实表", "decomposition", "06-11"),
                    Piece("document", "网格目标责任书（样本）", "grid_pledge", "06-11"),
                )),
        )),
        Content("1.3", "例会制度", 4, (
            Std("1.3.1", "每周召开创建工作例会，研究部署、通报进度，会议记录完整", 2, M.MATERIALS, required=3,
                target="每周一例会，记录齐全", evidence=(
                    Piece("meeting", "创建工作例会纪要（动员部署）", "weekly_june", "06-09"),
                    Piece("meeting", "创建工作例会纪要（集中整治进度通报）", "weekly_july", "07-14"),
                    Piece("meeting", "创建工作例会纪要（难点问题突击）", "weekly_august", "08-18"),
                )),
            Std("1.3.2", "定期召开社区联席会议，邀请共建单位和两新组织代表参加", 2, M.INTERVIEW,
                target="创建期间至少召开两次联席会议", evidence=(
                    Piece("meeting", "社区联席会议纪要", "joint", "08-14"),
                    Piece("document", "联席会议议定事项", "joint_decisions", "08-14"),
                )),
        )),
    )),
    Item("2", "市容环境", 30, (
        Content("2.1", "楼院卫生", 10, (
            Std("2.1.1", "楼院内无暴露垃圾、无卫生死角，环境整洁", 4, M.FIELD, grid=True, public=True,
                scoring=Scoring.INSPECTIONS, inspections_of=Target.COMPOUND, target="楼院检查合格率95%以上",
                evidence=(
                    Piece("inspection", "", Target.COMPOUND, "09-01/10-31"),
                    Piece("inspection", "", Target.COMPOUND, "09-01/10-31"),
                )),
            Std("2.1.2", "楼道内无堆放杂物，墙面无乱贴乱画小广告", 3, M.FIELD, grid=True,
                target="楼道堆物、小广告清理到位", evidence=(
                    Piece("photo", "{compound}楼道清理后", "stairwell", "07-01/08-31"),
                )),
            Std("2.1.3", "垃圾桶（池）配置到位，垃圾日产日清", 3, M.FIELD, grid=True,
                target="每院垃圾桶配齐，日产日清", evidence=(
                    Piece("photo", "{compound}垃圾桶配置", "bins", "06-20/07-31"),
                )),
        )),
        Content("2.2", "无主管楼院整治", 6, (
            Std("2.2.1", "无主管楼院摸底建档，逐院明确责任人和保洁措施", 2, M.MATERIALS, who="deputy",
                target="6个无主管楼院逐院建档", evidence=(
                    Piece("document", "无主管楼院整治台账", "unmanaged", "06-15"),
                )),
            Std("2.2.2", "无主管楼院集中清理，落实日常保洁，整治成果保持", 4, M.FIELD, grid=True, public=True,
                target="无主管楼院垃圾清零，保洁常态化", evidence=(
                    Piece("case", "", "unmanaged"),
                    Piece("photo", "{unmanaged}集中清理后", "compound", "07-01/08-15"),
                )),
        )),
        Content("2.3", "门店门前三包", 8, (
            Std("2.3.1", "沿街门店签订门前三包责任书，责任书上墙", 3, M.MATERIALS, grid=True,
                target="沿街门店责任书签订率100%", evidence=(
                    Piece("document", "{grid}门前三包责任书签订情况", "shop_pledges", "06-25/07-05"),
                )),
            Std("2.3.2", "门店门前整洁，无油污、无垃圾、无堆物", 5, M.FIELD, grid=True, public=True,
                scoring=Scoring.INSPECTIONS, inspections_of=Target.SHOP, target="门店检查合格率95%以上",
                evidence=(
                    Piece("inspection", "", Target.SHOP, "09-01/10-31"),
                )),
        )),
        Content("2.4", "店外经营", 6, (
            Std("2.4.1", "无店外经营、占道经营，五小门店规范经营", 4, M.FIELD, grid=True,
                target="占道经营发现即整改，不反弹", evidence=(
                    Piece("case", "", "shop"),
                    Piece("photo", "{grid}沿街门店整治后", "street", "08-01/09-15"),
                )),
            Std("2.4.2", "门头招牌规范，门窗无乱张贴", 2, M.FIELD, grid=True, target="门头招牌整治到位",
                weak=(0.5, 0.75), weak_note="部分门店门窗促销广告反复张贴，仍在整改", evidence=(
                    Piece("photo", "{grid}门头招牌", "shopfront", "08-01/09-30"),
                )),
        )),
    )),
    Item("3", "为民服务", 18, (
        Content("3.1", "问题办理", 10, (
            Std("3.1.1", "群众反映问题按期办结", 5, M.DATA, grid=True, scoring=Scoring.CASE_ON_TIME, public=True,
                target="按期办结率90%以上", evidence=(
                    Piece("case", "", "any"),
                )),
            Std("3.1.2", "群众反映问题办结率达到95%以上", 3, M.DATA, grid=True, public=True,
                scoring=Scoring.CASE_CLOSURE, target="办结率95%以上", evidence=(
                    Piece("case", "", "any"),
                )),
            Std("3.1.3", "问题受理、交办、办结全程登记，台账完整可追溯", 2, M.MATERIALS,
                target="问题办理台账月月更新", evidence=(
                    Piece("document", "6—10月问题办理台账", "case_ledger", "10-27"),
                )),
        )),
        Content("3.2", "便民服务", 8, (
            Std("3.2.1", "党群服务中心设一站式服务窗口，服务事项和办事流程公开", 3, M.FIELD, who="deputy",
                target="一站式窗口6月底前到位", evidence=(
                    Piece("photo", "党群服务中心一站式服务窗口", "office", "06-20"),
                )),
            Std("3.2.2", "开展助老、助残服务，独居老人每周走访", 3, M.INTERVIEW, grid=True,
                target="独居老人每周走访一次", evidence=(
                    Piece("meeting", "{grid}独居老人走访记录", "visits", "07-01/09-30"),
                )),
            Std("3.2.3", "共建单位参与便民服务，开展义诊、代收代寄等活动", 2, M.MATERIALS,
                target="共建单位每月至少一次便民活动", evidence=(
                    Piece("photo", "文化路社区卫生服务站进社区义诊", "event", "08-23"),
                )),
        )),
    )),
    Item("4", "群众参与", 16, (
        Content("4.1", "楼栋长议事", 5, (
            Std("4.1.1", "建立楼栋长议事制度，小事不出楼院、大事不出社区", 3, M.MATERIALS, grid=True,
                target="每个楼院每月一次议事会", evidence=(
                    Piece("meeting", "{compound}楼栋长议事会记录", "building", "07-01/08-31"),
                )),
            Std("4.1.2", "楼院公约经居民议定并公示", 2, M.MATERIALS, who="deputy", target="20个楼院公约全部上墙",
                evidence=(
                    Piece("photo", "楼院公约公示", "board", "08-20"),
                )),
        )),
        Content("4.2", "志愿服务", 5, (
            Std("4.2.1", "组建社区助老服务队、便民志愿服务队，定期开展活动", 2, M.MATERIALS, who="deputy",
                target="组建志愿服务队4支以上", evidence=(
                    Piece("document", "志愿服务队及活动情况", "volunteers", "07-08"),
                )),
            # No evidence: the registrations fell short and were not filed (readiness shows it).
            Std("4.2.2", "注册志愿者达到常住人口的8%以上", 3, M.DATA, who="deputy", target="注册志愿者720人以上",
                weak=(0.5, 0.5), weak_note="注册志愿者约占常住人口5%，未达8%"),
        )),
        Content("4.3", "群众满意度", 6, (
            Std("4.3.1", "群众对创建工作满意度达到90%以上", 3, M.QUESTIONNAIRE, who="deputy", public=True,
                target="满意度90%以上", evidence=(
                    Piece("document", "群众满意度问卷统计", "survey", "10-11"),
                    Piece("document", "群众满意度调查报告", "survey_report", "10-11"),
                )),
            Std("4.3.2", "群众对四城联创知晓率达到90%以上", 2, M.QUESTIONNAIRE, who="deputy", target="知晓率90%以上",
                evidence=(
                    Piece("document", "四城联创知晓率调查统计", "awareness", "10-11"),
                )),
            Std("4.3.3", "网格员入户走访，听取群众意见建议并及时反馈", 1, M.INTERVIEW, grid=True,
                target="每户每季度走访一次", evidence=(
                    Piece("meeting", "{grid}入户走访记录", "households", "08-01/09-30"),
                )),
        )),
    )),
    Item("5", "平安建设", 12, (
        Content("5.1", "流动人口登记", 8, (
            Std("5.1.1", "流动人口登记率达到95%以上，信息准确", 4, M.DATA, grid=True, target="登记率95%以上",
                evidence=(
                    Piece("document", "{grid}流动人口登记核查表", "floating", "08-10/08-20"),
                )),
            Std("5.1.2", "流动人口居住登记、居住证办理及时", 2, M.DATA, target="居住证应办尽办", evidence=(
                Piece("document", "居住证办理情况统计", "permits", "09-30"),
            )),
            # No evidence: the monthly updates were not kept as records (readiness shows it).
            Std("5.1.3", "流动人口信息动态更新，迁出及时注销", 2, M.DATA, target="每月核对更新一次",
                weak=(0.6, 0.6), weak_note="迁出人员注销不及时，8月起按月核对"),
        )),
        Content("5.2", "出租屋管理", 4, (
            Std("5.2.1", "出租屋逐户登记，与房主签订治安责任书", 2, M.FIELD, grid=True,
                target="出租屋登记率、责任书签订率100%", evidence=(
                    Piece("document", "{grid}出租屋登记情况", "rentals", "07-15/08-15"),
                )),
            Std("5.2.2", "出租屋消防安全检查到位，配备灭火器", 2, M.FIELD, grid=True,
                target="出租屋逐户检查，灭火器配备到位", weak=(0.45, 0.65),
                weak_note="部分出租屋未配灭火器、楼道飞线充电，整改中", evidence=(
                    Piece("photo", "{compound}出租屋消防检查", "fire", "08-15/09-10"),
                )),
        )),
    )),
    Item("6", "宣传氛围", 12, (
        Content("6.1", "公益广告", 6, (
            Std("6.1.1", "主要路段、楼院设置公益广告，内容规范", 3, M.FIELD, grid=True,
                target="每个楼院至少一处公益广告", evidence=(
                    Piece("photo", "{compound}公益广告", "poster", "07-10/08-10"),
                )),
            Std("6.1.2", "公益广告及时更新，无破损、无褪色", 3, M.FIELD, who="deputy", target="破损广告3日内更换",
                evidence=(
                    Piece("photo", "俭学街公益广告更新", "poster", "09-25"),
                )),
        )),
        Content("6.2", "公示栏", 6, (
            Std("6.2.1", "楼院公示栏公开网格责任人、联系方式和监督电话", 3, M.FIELD, grid=True, public=True,
                target="每个楼院公示栏信息齐全", evidence=(
                    Piece("notice", "{compound}公示栏：网格责任人及监督电话", "", "07-10/08-10"),
                )),
            Std("6.2.2", "社区公示栏公开创建工作计划和进度，接受群众监督", 3, M.FIELD,
                target="创建进度每月公示", evidence=(
                    Piece("photo", "社区公示栏：创建工作进度公示", "board", "07-01"),
                )),
        )),
    )),
)  # fmt: skip

# Grid standards left without evidence in some grids on purpose (standard → grid numbers).
MISSING = {"3.1.2": (3, 8), "5.2.2": (2, 5, 8)}
# Grid standards scored weak in some grids: (standard, grid number) → (share of the points, note).
WEAK_GRIDS = {
    ("2.2.2", 4): (0.5, "俭学街53号院垃圾清运仍不及时，已协调街道城管科"),
    ("2.2.2", 6): (0.5, "文化路71号院保洁人员未固定，反复出现垃圾堆积"),
}
# Standards everyone scores high on, by hand: shares of the points they give themselves.
HIGH_SHARES = (0.85, 0.9, 0.9, 0.95, 1.0, 1.0, 1.0)


def standards() -> list[Std]:
    return [std for item in ITEMS for content in item.contents for std in content.standards]


# The work plan


PHASES = (
    ("动员部署", PhaseKind.MOBILISATION, "06-01", "06-15"),
    ("集中整治", PhaseKind.REMEDIATION, "06-16", "09-15"),
    ("巩固提升", PhaseKind.CONSOLIDATION, "09-16", "10-15"),
    ("迎检考核", PhaseKind.ASSESSMENT, "10-16", "10-31"),
)


@dataclass(frozen=True)
class Task:
    """A task of the plan: its phase (index), owner ("director", "deputy", "leader3", "worker5": the owner's area
    is the community or that grid), dates, the standards it serves, and what became of it."""

    phase: int
    title: str
    owner: str
    starts: str
    due: str
    serves: tuple[str, ...]
    status: str = TaskStatus.DONE
    done: str = ""
    note: str = ""


TASKS: tuple[Task, ...] = (
    Task(0, "召开四城联创动员大会，传达金水区“责任担当冲刺四城联创”部署", "director", "06-03", "06-05",
         ("1.1.1", "1.3.1"), done="06-05"),
    Task(0, "调整充实创建工作领导小组，明确成员分工并公示", "director", "06-01", "06-06", ("1.1.1", "1.1.2"),
         done="06-04"),
    Task(0, "分解测评体系，逐项落实到网格和责任人，签订目标责任书", "deputy", "06-05", "06-12", ("1.2.2",),
         done="06-11"),
    Task(0, "制定工作计划表，按标准、分步骤、分阶段上墙", "deputy", "06-06", "06-15", ("1.2.1",), done="06-13"),
    Task(0, "摸底排查无主管楼院和五小门店，建立整治台账", "deputy", "06-09", "06-15", ("2.2.1",), done="06-15"),
    Task(1, "俭学街12号院垃圾清运、楼道堆物集中清理", "leader1", "06-16", "07-15", ("2.2.2", "2.1.2"),
         done="07-10"),
    Task(1, "俭学街53号院环境卫生集中整治，落实保洁人员", "leader4", "06-16", "07-31", ("2.2.2",), done="08-04",
         note="垃圾池改造等待街道审批，推迟4天完成"),
    Task(1, "文化路沿街门店签订门前三包责任书", "worker2", "06-16", "07-05", ("2.3.1",), done="07-03"),
    Task(1, "文化路店外经营、占道经营专项整治", "leader3", "07-01", "08-31", ("2.4.1", "2.3.2"), done="08-29"),
    Task(1, "楼道小广告集中清理，单元门统一张贴公示", "worker5", "07-01", "07-31", ("2.1.2",), done="07-25"),
    Task(1, "流动人口登记信息逐户核查更新", "leader6", "06-20", "08-20", ("5.1.1", "5.1.3"), done="08-18"),
    Task(1, "出租屋消防安全检查，督促房主配齐灭火器", "leader7", "07-15", "09-10", ("5.2.2",),
         status=TaskStatus.DOING, note="已查出租屋40户，12户未配灭火器"),
    Task(1, "主要路段和楼院设置公益广告", "deputy", "07-01", "07-31", ("6.1.1", "6.1.2"), done="07-28"),
    Task(1, "楼院公示栏更新网格责任人和联系方式", "worker8", "07-10", "08-10", ("6.2.1",), done="08-06"),
    Task(1, "组建社区助老服务队、便民志愿服务队", "deputy", "06-16", "07-15", ("4.2.1", "3.2.2"), done="07-08"),
    Task(1, "各楼院召开楼栋长议事会，议定楼院公约", "leader2", "07-01", "08-15", ("4.1.1", "4.1.2"), done="08-12"),
    Task(1, "召开社区联席会议，共建单位认领便民服务项目", "director", "08-01", "08-20", ("1.3.2", "3.2.3"),
         done="08-14"),
    Task(2, "沿街门店整治回头看，防止反弹", "leader6", "09-16", "10-10", ("2.3.2", "2.4.1"), done="10-09"),
    Task(2, "开展群众满意度、知晓率问卷调查", "deputy", "09-20", "10-10", ("4.3.1", "4.3.2"), done="10-11"),
    Task(2, "志愿者注册动员，注册率达到常住人口8%", "deputy", "09-16", "10-15", ("4.2.2",), status=TaskStatus.TODO),
    Task(2, "举办楼院文艺汇演", "deputy", "09-20", "10-08", ("4.1.1",), status=TaskStatus.CANCELLED,
         note="并入文化路街道社区文化节，不再单独举办"),
    Task(3, "整理创建台账，逐项对照测评标准查漏补缺", "director", "10-16", "10-28", ("1.2.1", "3.1.3"), done="10-27"),
    Task(3, "组织迎检模拟自查，逐网格打分", "deputy", "10-20", "10-25", ("1.2.2",), done="10-24"),
)  # fmt: skip


# Meeting minutes: {date}, {director}, {deputy}, {leaders}, {leader}, {worker}, {grid}, {compound}, {partners}.

MINUTES = {
    "group": (
        "时间：{date} 上午9:00\n地点：社区党群服务中心会议室\n主持：{director}\n参加：{deputy}、各网格长、网格员代表\n"
        "一、传达金水区“责任担当冲刺四城联创”动员大会精神。\n"
        "二、成立俭学街社区四城联创工作领导小组，{director}任组长，为第一责任人；{deputy}任副组长，负责日常调度；"
        "八名网格长任组长，负责本网格创建工作。\n"
        "三、领导小组名单和分工在社区公示栏和各楼院公示栏公开，接受群众监督。\n"
        "四、6月15日前完成测评体系分解和工作计划表。"
    ),
    "weekly_june": (
        "时间：{date} 上午8:30\n地点：社区会议室\n主持：{director}\n参加：领导小组全体成员\n"
        "一、通报测评体系分解情况：37项测评标准已落实到网格和责任人。\n"
        "二、布置集中整治阶段任务：无主管楼院垃圾清运、楼道堆物清理、沿街门店门前三包。\n"
        "三、要求各网格每周一上报整治进度，台账资料由网格员随时归档。"
    ),
    "weekly_july": (
        "时间：{date} 上午8:30\n地点：社区会议室\n主持：{director}\n参加：领导小组全体成员\n"
        "一、通报集中整治进度：楼院检查合格率稳步提高，俭学街12号院垃圾已清运完毕。\n"
        "二、问题：俭学街53号院垃圾池改造需街道审批，进度滞后；文化路部分门店占道经营反复。\n"
        "三、措施：{deputy}协调街道城管科；第三网格增加文化路门店巡查频次。"
    ),
    "weekly_august": (
        "时间：{date} 上午8:30\n地点：社区会议室\n主持：{director}\n参加：领导小组全体成员\n"
        "一、围绕难点抓突击：无主管楼院、街边门店反复、流动人口管理。\n"
        "二、出租屋消防安全检查进度偏慢，第七网格牵头，其他网格配合。\n"
        "三、9月15日前完成集中整治阶段全部任务，转入巩固提升。"
    ),
    "joint": (
        "时间：{date} 下午3:00\n地点：社区党群服务中心\n主持：{director}\n"
        "参加：{partners}等共建单位和两新组织代表\n"
        "一、通报四城联创工作进展和存在的困难。\n"
        "二、共建单位认领便民服务项目：义诊、代收代寄、学生文明劝导、无主管楼院管网维修。\n"
        "三、联席会议每季度召开一次，共建单位代表可随时提出意见建议。"
    ),
    "visits": (
        "走访时间：{date}\n走访人：{worker}\n走访对象：本网格独居老人\n"
        "情况：逐户上门，了解身体和生活情况，检查燃气、用电安全；两户老人反映楼道灯不亮，已报修。\n"
        "后续：助老服务队每周上门一次，社区卫生服务站每月义诊一次。"
    ),
    "building": (
        "时间：{date} 晚7:30\n地点：{compound}院内\n主持：{leader}（网格长）\n参加：楼栋长、居民代表\n"
        "议题：一、楼院环境卫生和楼道堆物清理；二、电动车停放和充电；三、议定楼院公约。\n"
        "结果：楼院公约经居民代表表决通过，张贴在公示栏；楼道堆物由各楼栋长督促本楼住户一周内清理完毕。"
    ),
    "households": (
        "走访时间：{date}\n走访人：{worker}（网格员）\n"
        "走访户数：本月走访住户40余户，发放四城联创宣传资料。\n"
        "群众意见：希望增加垃圾清运次数；门店占道影响出行；楼院停车难。\n"
        "反馈：意见已报网格长，垃圾清运已协调增加一次，占道问题纳入门店巡查。"
    ),
}


# The build


@dataclass
class CampaignFigures:
    """What the campaign build made, for the summary line."""

    name: str = NAME
    items: int = 0
    contents: int = 0
    standards: int = 0
    points: Decimal = Decimal(0)
    assignments: int = 0
    tasks: int = 0
    overdue: int = 0
    evidence: int = 0
    incomplete: int = 0
    readiness: Decimal | None = None
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.items} items, {self.contents} contents, {self.standards} standards "
            f"({self.points.normalize():f} points), {self.assignments} assignments, {self.tasks} plan tasks "
            f"({self.overdue} overdue), {self.evidence} pieces of evidence ({self.incomplete} standards incomplete), "
            f"readiness {self.readiness} %, in {self.seconds:.1f} s"
        )


@dataclass
class _Grid:
    """A grid taking part, with its staff and the records its evidence links to."""

    number: int
    area: Area
    leader: User
    worker: User
    compounds: list[Compound]
    shops: int
    inspections: dict[str, list[Inspection]]
    cases: dict[str, list[Case]]


class _Campaign:
    """One build of the campaign: its random stream, its people and the records its ledger points to."""

    def __init__(self, community: Area) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - made-up demo data, not security
        self.community = community
        people = {u.username: u for u in User.objects.filter(username__in=("director", "deputy"))}
        self.director, self.deputy = people["director"], people["deputy"]
        self.group, members = territory_selectors.published_group(community)
        self.members = members
        self.partners = [p.name for p in PartnerUnit.objects.filter(area=community).order_by("code")]
        self.grids = self._grids()
        self.indicators: dict[str, Indicator] = {}
        self.assignments: dict[tuple[str, int], IndicatorAssignment] = {}  # (code, grid number or 0) → row
        self.evidence = 0

    def _grids(self) -> list[_Grid]:
        areas = list(Area.objects.filter(parent=self.community, kind=AreaKind.GRID).order_by("code"))
        staff: dict[tuple[str, str], User] = {}
        for membership in (
            Membership.objects.filter(
                scope_path__in=[a.path for a in areas], active=True, role__in=(Role.GRID_LEADER, Role.GRID_WORKER)
            )
            .select_related("user")
            .order_by("id")
        ):
            staff.setdefault((membership.scope_path, membership.role), membership.user)
        compounds = defaultdict(list)
        for compound in Compound.objects.filter(area__in=areas).order_by("code"):
            compounds[compound.area_id].append(compound)
        shops = defaultdict(int)
        for area_id in Shop.objects.filter(area__in=areas).values_list("area_id", flat=True):
            shops[area_id] += 1
        start, end = _moment(CAMPAIGN.started), _moment(CAMPAIGN.ended + datetime.timedelta(days=1))
        # The ledger links to passed inspections of the campaign's last two months (what the assessors would see).
        inspections: dict[int, dict[str, list[Inspection]]] = defaultdict(lambda: defaultdict(list))
        passed = (
            Inspection.objects.filter(
                area__in=areas,
                target__in=(Target.COMPOUND, Target.SHOP),
                passed=True,
                inspected_at__gte=_moment(day("09-01")),
                inspected_at__lt=end,
            )
            .select_related("compound", "shop")
            .order_by("inspected_at", "id")
        )
        for inspection in passed:
            inspections[inspection.area_id][inspection.target].append(inspection)
        # And to the closed cases residents and grid staff reported during the campaign.
        cases: dict[int, dict[str, list[Case]]] = defaultdict(lambda: defaultdict(list))
        closed = (
            Case.objects.filter(area__in=areas, state=State.CLOSED, reported_at__gte=start, reported_at__lt=end)
            .exclude(source=Source.INSPECTION)
            .select_related("category", "compound", "shop")
            .order_by("reported_at", "id")
        )
        for case in closed:
            kinds = cases[case.area_id]
            kinds["any"].append(case)
            if case.category.code == "C02" and case.shop_id:
                kinds["shop"].append(case)
            if case.category.code == "C01" and case.compound_id and case.compound.management == Management.NONE:
                kinds["unmanaged"].append(case)
        return [
            _Grid(
                number=number,
                area=area,
                leader=staff[(area.path, Role.GRID_LEADER)],
                worker=staff[(area.path, Role.GRID_WORKER)],
                compounds=compounds[area.pk],
                shops=shops[area.pk],
                inspections=inspections[area.pk],
                cases=cases[area.pk],
            )
            for number, area in enumerate(areas, start=1)
        ]

    # The campaign and its tree

    def campaign(self) -> Campaign:
        return services.campaign_create(
            actor=None,
            community=self.community,
            name=NAME,
            issuer=ISSUER,
            starts_on=CAMPAIGN.started,
            ends_on=CAMPAIGN.ended,
            total_points=Decimal(100),
            leadership_group=self.group,
            public=True,
            description=(
                f"{ISSUER}部署“责任担当冲刺{CAMPAIGN.name}”，社区{YEAR}年6月至10月集中创建。"
                f"做法：{'；'.join(CAMPAIGN.methods)}。难点：{'、'.join(CAMPAIGN.hard_problems)}。"
            ),
        )

    def tree(self, campaign: Campaign) -> None:
        order = 0

        def node(level: str, code: str, text: str, points: int, parent: Indicator | None, **extra) -> Indicator:
            nonlocal order
            order += 10
            row = services.indicator_save(
                actor=None,
                campaign=campaign,
                level=level,
                code=code,
                text=text,
                points=points,
                parent=parent,
                order=order,
                **extra,
            )
            self.indicators[code] = row
            return row

        for item in ITEMS:
            item_row = node(Level.ITEM, item.code, item.text, item.points, None)
            for content in item.contents:
                content_row = node(Level.CONTENT, content.code, content.text, content.points, item_row)
                for std in content.standards:
                    node(
                        Level.STANDARD,
                        std.code,
                        std.text,
                        std.points,
                        content_row,
                        method=std.method,
                        public=std.public,
                        scoring=std.scoring,
                        inspection_target=std.inspections_of,
                        evidence_required=std.required,
                    )

    # Decomposition and self-assessment

    def responsible(self, std: Std) -> User:
        return self.deputy if std.who == "deputy" else self.director

    def decompose(self) -> None:
        """Every grid standard onto every grid (its grid leader), the others onto the community."""
        for std in standards():
            indicator = self.indicators[std.code]
            if std.grid:
                for grid in self.grids:
                    target = std.target
                    if std.code == "2.2.2" and not self.unmanaged(grid):
                        target = "本网格无无主管楼院，配合相邻网格开展整治"
                    self.assignments[(std.code, grid.number)] = services.assignment_save(
                        actor=None,
                        indicator=indicator,
                        area=grid.area,
                        person=grid.leader,
                        target=target,
                        due_on=day(GRID_DUE),
                    )
            else:
                self.assignments[(std.code, 0)] = services.assignment_save(
                    actor=None,
                    indicator=indicator,
                    area=self.community,
                    person=self.responsible(std),
                    target=std.target,
                    due_on=day(COMMUNITY_DUE),
                )

    def score(self) -> None:
        """The responsible persons' own scores of the standards scored by hand: mostly high, a few weak."""
        for std in standards():
            if std.scoring != Scoring.MANUAL:
                continue
            for grid_number in [g.number for g in self.grids] if std.grid else [0]:
                assignment = self.assignments[(std.code, grid_number)]
                note = ""
                if (std.code, grid_number) in WEAK_GRIDS:
                    share, note = WEAK_GRIDS[(std.code, grid_number)]
                elif std.weak is not None:
                    share, note = self.rng.uniform(*std.weak), std.weak_note
                else:
                    share = self.rng.choice(HIGH_SHARES)
                points = Decimal(std.points)
                # Offices score in half points.
                score = min(points, (points * Decimal(str(share)) * 2).quantize(Decimal(1)) / 2)
                services.assignment_score(
                    actor=assignment.person, assignment=assignment, score=score, note=note or "对照标准自查，达到要求"
                )

    # The work plan

    def plan(self, campaign: Campaign) -> list[PlanTask]:
        plan = services.work_plan_create(actor=None, campaign=campaign, name=f"{CAMPAIGN.name}工作计划表")
        phases = [
            services.phase_save(
                actor=None, plan=plan, name=name, kind=kind, starts_on=day(start), ends_on=day(end), order=order
            )
            for order, (name, kind, start, end) in enumerate(PHASES, start=1)
        ]
        made = []
        for task in TASKS:
            owner, area = self.owner(task.owner)
            row = services.task_save(
                actor=None,
                plan=plan,
                phase=phases[task.phase],
                title=task.title,
                owner=owner,
                area=area,
                starts_on=day(task.starts),
                due_on=day(task.due),
                indicators=[self.indicators[code] for code in task.serves],
                note=task.note,
            )
            if task.status == TaskStatus.DONE:
                row = services.task_set_status(actor=owner, task=row, status=TaskStatus.DONE, done_on=day(task.done))
            elif task.status == TaskStatus.DOING:
                row = services.task_set_status(actor=owner, task=row, status=TaskStatus.DOING)
            elif task.status == TaskStatus.CANCELLED:
                # Only the director cancels a task.
                row = services.task_set_status(actor=self.director, task=row, status=TaskStatus.CANCELLED)
            made.append(row)
        return made

    def owner(self, spec: str) -> tuple[User, Area]:
        """A task owner's spec ("director", "leader3", "worker5") as the person and the area they work in."""
        if spec in ("director", "deputy"):
            return (self.director if spec == "director" else self.deputy), self.community
        grid = self.grids[int(spec[-1]) - 1]
        return (grid.leader if spec.startswith("leader") else grid.worker), grid.area

    # The ledger

    def ledger(self) -> None:
        """Every standard's evidence, in tree order: in every grid for a grid standard, but where left missing."""
        for std in standards():
            indicator = self.indicators[std.code]
            if std.grid:
                for grid in self.grids:
                    if grid.number in MISSING.get(std.code, ()):
                        continue
                    used: set[int] = set()
                    for piece in std.evidence:
                        self.file(indicator, piece, grid, used)
            else:
                for piece in std.evidence:
                    self.file(indicator, piece, None, set(), filer=self.responsible(std))

    def file(
        self, indicator: Indicator, piece: Piece, grid: _Grid | None, used: set[int], filer: User | None = None
    ) -> None:
        """File one piece: links by the grid leader, photos by the grid worker; the community's by `filer`."""
        area = grid.area if grid is not None else self.community
        compound = self.compound(grid, piece)
        names = {
            "grid": grid.area.name if grid else self.community.name,
            "compound": compound.name if compound else "",
            "unmanaged": compound.name if compound else "",
        }
        when = self.when(piece.day) if piece.day else None
        leader = grid.leader if grid else filer
        worker = grid.worker if grid else filer
        common = {"indicator": indicator, "area": area}
        if piece.kind == EvidenceKind.INSPECTION:
            inspection = self.pick(grid.inspections.get(piece.source, []), used)
            if inspection is None:
                return
            place = inspection.compound or inspection.shop
            what = "楼院环境卫生检查" if inspection.target == Target.COMPOUND else "门店门前三包检查"
            on = timezone.localtime(inspection.inspected_at).date()
            title = f"{place.name}{what}（{on.month}月{on.day}日，{inspection.score:g}分，合格）"
            services.evidence_file(
                actor=leader, kind=piece.kind, title=title, occurred_on=on, inspection=inspection, **common
            )
        elif piece.kind == EvidenceKind.CASE:
            case = self.pick(grid.cases.get(piece.source, []), used)
            if case is None:
                return
            place = case.compound or case.shop
            on = timezone.localtime(case.closed_at).date()
            title = f"{case.category.name}：{case.description}（{place.name if place else grid.area.name}，已办结）"
            services.evidence_file(
                actor=leader, kind=piece.kind, title=title[:200], occurred_on=on, case=case, **common
            )
        elif piece.kind == EvidenceKind.NOTICE:
            services.evidence_file(
                actor=leader,
                kind=piece.kind,
                title=piece.title.format(**names),
                occurred_on=when,
                compound=compound,
                **common,
            )
        elif piece.kind == EvidenceKind.MEETING:
            text = MINUTES[piece.source].format(
                date=f"{when.year}年{when.month}月{when.day}日",
                director=self.director.display_name,
                deputy=self.deputy.display_name,
                leader=leader.display_name,
                worker=worker.display_name,
                partners="、".join(self.partners[:4]),
                **names,
            )
            services.evidence_file(
                actor=leader, kind=piece.kind, title=piece.title.format(**names), occurred_on=when, text=text, **common
            )
        elif piece.kind == EvidenceKind.PHOTO:
            title = piece.title.format(**names)
            upload = SimpleUploadedFile(f"{title}.jpg", _photo(piece.source, self.rng), content_type="image/jpeg")
            services.evidence_file(
                actor=worker, kind=piece.kind, title=title, occurred_on=when, upload=upload, **common
            )
        else:
            title = piece.title.format(**names)
            name, data, content_type = self.document(piece.source, title, grid)
            upload = SimpleUploadedFile(name, data, content_type=content_type)
            services.evidence_file(
                actor=leader, kind=piece.kind, title=title, occurred_on=when, upload=upload, **common
            )
        self.evidence += 1

    def when(self, spec: str) -> datetime.date:
        if "/" not in spec:
            return day(spec)
        first, last = (day(part) for part in spec.split("/"))
        return first + datetime.timedelta(days=self.rng.randint(0, (last - first).days))

    def pick(self, rows: list, used: set[int]):
        """One of the records not linked yet in this grid for this standard (None when there is none)."""
        left = [row for row in rows if row.pk not in used]
        if not left:
            return None
        row = self.rng.choice(left)
        used.add(row.pk)
        return row

    def compound(self, grid: _Grid | None, piece: Piece) -> Compound | None:
        """The compound a piece is about: the one named (C01), else one of the grid's (an unmanaged one if asked)."""
        if grid is None:
            if piece.source.startswith("C") and piece.kind == EvidenceKind.NOTICE:
                return next(c for g in self.grids for c in g.compounds if c.code.endswith(piece.source))
            return None
        choices = self.unmanaged(grid) if "{unmanaged}" in piece.title else []
        return self.rng.choice(choices or grid.compounds)

    @staticmethod
    def unmanaged(grid: _Grid) -> list[Compound]:
        return [c for c in grid.compounds if c.management == Management.NONE]

    # Generated documents

    def document(self, source: str, title: str, grid: _Grid | None) -> tuple[str, bytes, str]:
        """A made-up document of the ledger: its file name, bytes and content type."""
        pdfs = {"grid_pledge", "joint_decisions", "shop_pledges", "survey_report", "permits", "rentals"}
        if source in pdfs:
            return f"{title}.pdf", _pdf(title, self.pdf_lines(source, grid)), "application/pdf"
        headers, rows = self.table(source, grid)
        return f"{title}.xlsx", _workbook(title, headers, rows), XLSX

    def table(self, source: str, grid: _Grid | None) -> tuple[list[str], list[list]]:
        rng = self.rng
        if source == "group_list":
            return ["序号", "姓名", "组内职务", "分工"], [
                [n, m.person.display_name, POSITIONS.get(m.position, ""), m.duty]
                for n, m in enumerate(self.members, start=1)
            ]
        if source == "plan":
            return ["阶段", "任务", "责任人", "责任区域", "开始", "完成时限", "对应测评标准"], [
                [
                    PHASES[t.phase][0],
                    t.title,
                    self.owner(t.owner)[0].display_name,
                    self.owner(t.owner)[1].name,
                    day(t.starts),
                    day(t.due),
                    "、".join(t.serves),
                ]
                for t in TASKS
            ]
        if source == "decomposition":
            rows = []
            for std in standards():
                for grid_number in [g.number for g in self.grids] if std.grid else [0]:
                    row = self.assignments[(std.code, grid_number)]
                    area = self.grids[grid_number - 1].area.name if grid_number else self.community.name
                    method = METHODS[std.method]
                    rows.append([std.code, std.text, std.points, method, area, row.person.display_name, row.target])
            return ["编号", "测评标准", "分值", "测评方法", "责任区域", "责任人", "目标"], rows
        if source == "unmanaged":
            problems = ("垃圾堆积、清运不及时", "楼道堆物、小广告多", "无人保洁，垃圾池破损", "院内道路坑洼、积水")
            return ["楼院", "地址", "网格", "责任人", "存在问题", "整治措施"], [
                [c.name, c.address, g.area.name, g.leader.display_name, rng.choice(problems), "网格长包院，落实保洁"]
                for g in self.grids
                for c in self.unmanaged(g)
            ]
        if source == "case_ledger":
            cases = sorted((c for g in self.grids for c in g.cases.get("any", [])), key=lambda c: c.reported_at)
            return ["案件编号", "类别", "网格", "地点", "反映时间", "办结时间"], [
                [
                    c.number,
                    c.category.name,
                    self.grid_name(c.area_id),
                    (c.compound or c.shop).name if (c.compound or c.shop) else "",
                    timezone.localtime(c.reported_at).strftime("%Y-%m-%d %H:%M"),
                    timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M"),
                ]
                for c in cases
            ]
        if source == "volunteers":
            return ["服务队", "牵头单位", "人数", "主要服务", "活动次数（6—10月）"], [
                ["社区助老服务队", "阳光助老服务中心", 18, "独居老人上门探访、代购代办", 20],
                ["便民志愿服务队", "俭学街社区", 26, "理发、修鞋、家电维修", 10],
                ["文明劝导队", "俭学街小学", 30, "路口文明劝导、清理小广告", 12],
                ["健康服务队", "文化路社区卫生服务站", 8, "义诊、健康讲座", 5],
            ]
        if source in ("survey", "awareness"):
            rows = []
            for g in self.grids:
                asked = rng.randint(45, 60)
                yes = asked - rng.randint(1, 4)
                rows.append([g.area.name, asked, yes, f"{yes / asked:.1%}"])
            heads = ["网格", "发放问卷", "满意及基本满意", "满意率"]
            if source == "awareness":
                heads = ["网格", "调查户数", "知晓户数", "知晓率"]
            return heads, rows
        if source == "floating":
            rows = []
            for c in grid.compounds:
                people = rng.randint(30, 140)
                rows.append([c.name, people, people - rng.randint(0, 4)])
            return ["楼院", "流动人口（人）", "已登记（人）"], rows
        raise ValueError(f"no document {source}")  # a programming error in ITEMS

    def pdf_lines(self, source: str, grid: _Grid | None) -> list[str]:
        if source == "grid_pledge":
            return [
                "甲方：俭学街社区四城联创工作领导小组",
                "乙方：第一网格网格长",
                "一、乙方对本网格承担的测评标准负责，按工作计划表的时限完成。",
                "二、楼院环境卫生、门店门前三包、流动人口登记等标准逐项落实到楼院和门店。",
                "三、每周一向领导小组报告进度，台账资料随时归档。",
                "四、创建结果纳入网格年度考核。",
                f"{YEAR}年6月11日",
            ]
        if source == "joint_decisions":
            return [
                "议定事项：",
                *(f"{n}. {name}认领便民服务项目一项，每月开展一次" for n, name in enumerate(self.partners, start=1)),
                "联席会议每季度召开一次，由社区主任召集。",
            ]
        if source == "shop_pledges":
            return [
                f"{grid.area.name}共有沿街门店{grid.shops}家，已全部签订门前三包责任书。",
                "责任书已张贴在门店醒目位置，门前卫生、秩序、绿化由门店负责。",
                "网格员每日巡查，发现问题当场告知，限期整改。",
            ]
        if source == "survey_report":
            return [
                f"调查时间：{YEAR}年9月20日至10月10日",
                "调查方式：网格员入户发放问卷，居民自愿填写。",
                "调查结果：满意及基本满意率达到95%左右，各网格均超过90%。",
                "主要意见：楼院停车难、部分门店占道经营反复、垃圾清运次数不足。",
                "改进措施：意见已逐条交办到网格，纳入巩固提升阶段任务。",
            ]
        if source == "rentals":
            lines = [f"{grid.area.name}出租屋逐户登记情况（{YEAR}年8月）："]
            for c in grid.compounds:
                rented = self.rng.randint(10, 45)
                signed = rented - self.rng.randint(0, 3)
                lines.append(f"{c.name}：出租屋{rented}户，已登记{rented}户，签订治安责任书{signed}户。")
            return [*lines, "未签责任书的房主长期在外，已电话联系，回郑后补签。"]
        if source == "permits":
            return [
                "截至9月30日，社区流动人口已全部登记，居住证应办尽办。",
                "办理方式：网格员上门采集信息，社区集中代办。",
                "存在问题：短期租住人员流动快，信息更新不够及时。",
            ]
        raise ValueError(f"no document {source}")  # a programming error in ITEMS

    def grid_name(self, area_id: int) -> str:
        return next(g.area.name for g in self.grids if g.area.pk == area_id)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The documents are the office's own, in Chinese whatever language the build runs in.
POSITIONS = {"head": "组长", "deputy": "副组长", "group_leader": "网格组组长", "member": "成员"}
METHODS = {
    Method.MATERIALS: "材料审核",
    Method.FIELD: "实地考察",
    Method.QUESTIONNAIRE: "问卷调查",
    Method.INTERVIEW: "入户访问",
    Method.DATA: "数据核查",
    Method.OTHER: "其他",
}


def _moment(on: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(on, datetime.time()))


def _workbook(title: str, headers: list[str], rows: Iterable[list]) -> bytes:
    """A one-sheet workbook: the title, a header row and the rows, as an office would keep it."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center")
    widths = [len(header) for header in headers]
    for row in rows:
        sheet.append(row)
        widths = [max(width, len(str(value))) for width, value in zip(widths, row, strict=True)]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=column).column_letter].width = min(60, 4 + 2 * width)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(title: str, lines: Iterable[str]) -> bytes:
    """A one-page A4 PDF of a title and lines in 宋体: the reader's own STSong-Light (Adobe-GB1), nothing embedded."""

    def show(text: str) -> str:
        return "<" + text.encode("utf-16-be").hex().upper() + "> Tj"

    wrapped = [line[i : i + 38] for line in lines for i in range(0, max(len(line), 1), 38)][:40]
    ops = ["BT", "/F1 16 Tf", "72 770 Td", show(title), "/F1 11 Tf", "0 -32 Td"]
    for line in wrapped:
        ops += [show(line), "0 -18 Td"]
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# Drawn photos: plain shapes in the colours of the scene, no real place or person.

WALL = ((236, 228, 214), (222, 214, 200), (240, 236, 228))
SIGNS = ((200, 40, 40), (30, 90, 170), (230, 180, 30), (40, 140, 80))


def _photo(scene: str, rng: random.Random) -> bytes:
    """A small made-up JPEG of a scene of the campaign (compound, stairwell, bins, street, board ...)."""
    width, height = 480, 360
    image = Image.new("RGB", (width, height), rng.choice(WALL))
    draw = ImageDraw.Draw(image)
    if scene in ("compound", "bins", "street", "shopfront", "poster", "event"):
        sky = (150 + rng.randint(0, 40), 190 + rng.randint(0, 30), 225)
        draw.rectangle((0, 0, width, 150), fill=sky)
        draw.rectangle((0, 280, width, height), fill=(170, 170, 165))
    if scene == "compound":
        x = 10
        while x < width - 60:
            w, h = rng.randint(90, 150), rng.randint(150, 230)
            draw.rectangle((x, 280 - h, x + w, 280), fill=rng.choice(((205, 190, 170), (190, 180, 165))))
            for wy in range(290 - h, 270, 28):
                for wx in range(x + 10, x + w - 15, 24):
                    draw.rectangle((wx, wy, wx + 12, wy + 14), fill=(90, 110, 130))
            x += w + rng.randint(10, 30)
        for _ in range(3):
            tx = rng.randint(20, width - 40)
            draw.ellipse((tx - 25, 215, tx + 25, 265), fill=(70, 130, 60))
            draw.rectangle((tx - 3, 260, tx + 3, 290), fill=(100, 70, 40))
    elif scene in ("stairwell", "fire"):
        for step in range(8):
            y = 330 - step * 32
            draw.rectangle((60 + step * 40, y, width, y + 32), fill=(180, 178, 170), outline=(140, 140, 135))
        draw.rectangle((20, 60, 110, 250), fill=(120, 90, 60))
        if scene == "fire":
            draw.rounded_rectangle((380, 200, 410, 290), radius=8, fill=(210, 30, 30))
            draw.rectangle((388, 188, 402, 202), fill=(40, 40, 40))
    elif scene == "bins":
        draw.rectangle((0, 150, width, 280), fill=rng.choice(WALL))
        for n in range(rng.randint(2, 4)):
            x = 40 + n * 110
            draw.rectangle((x, 200, x + 80, 300), fill=rng.choice(((40, 120, 70), (60, 90, 150), (120, 120, 120))))
            draw.rectangle((x - 4, 190, x + 84, 204), fill=(30, 30, 30))
    elif scene in ("street", "shopfront"):
        x = 0
        while x < width:
            w = rng.randint(90, 140)
            draw.rectangle((x, 120, x + w - 4, 280), fill=(215, 210, 200))
            draw.rectangle((x, 120, x + w - 4, 150), fill=rng.choice(SIGNS))
            draw.rectangle((x + 15, 170, x + w - 20, 280), fill=(70, 90, 100))
            x += w
    elif scene in ("board", "poster"):
        draw.rectangle((40, 40, width - 40, 300), fill=(20, 70, 140) if scene == "board" else (200, 30, 30))
        draw.rectangle((55, 55, width - 55, 95), fill=(190, 30, 30) if scene == "board" else (240, 200, 60))
        for n in range(rng.randint(3, 5)):
            x = 60 + n * 75
            draw.rectangle((x, 110, x + 65, 285), fill=(250, 250, 245))
            for y in range(125, 275, 14):
                draw.line((x + 6, y, x + rng.randint(30, 58), y), fill=(120, 120, 120), width=2)
    elif scene == "office":
        draw.rectangle((0, 40, width, 80), fill=(190, 30, 30))
        draw.rectangle((0, 230, width, 290), fill=(160, 120, 80))
        for n in range(4):
            draw.rectangle((30 + n * 115, 160, 110 + n * 115, 230), fill=(60, 90, 140))
    elif scene == "event":
        draw.polygon([(80, 160), (240, 110), (400, 160)], fill=(30, 90, 170))
        draw.rectangle((90, 160, 390, 240), fill=(240, 240, 240))
        draw.rectangle((110, 230, 370, 260), fill=(160, 120, 80))
        for _person in range(rng.randint(4, 7)):
            x = rng.randint(30, width - 30)
            draw.ellipse((x - 12, 250, x + 12, 274), fill=(60, 50, 45))
            draw.rectangle((x - 14, 274, x + 14, 330), fill=rng.choice(SIGNS))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def build_campaign(community: Area, *, as_of: datetime.date | None = None) -> CampaignFigures:
    """The community's 2014 campaign, built once after the case and inspection histories it links to."""
    started = time.monotonic()
    build = _Campaign(community)
    campaign = build.campaign()
    build.tree(campaign)
    build.decompose()
    services.campaign_set_status(actor=None, campaign=campaign, status=CampaignStatus.ACTIVE)
    tasks = build.plan(campaign)
    build.ledger()
    build.score()
    campaign = services.campaign_set_status(actor=None, campaign=campaign, status=CampaignStatus.CLOSED)
    as_of = as_of or timezone.localdate()
    readiness = selectors.readiness(campaign, as_of=as_of)
    levels = defaultdict(int)
    for indicator in build.indicators.values():
        levels[indicator.level] += 1
    return CampaignFigures(
        items=levels[Level.ITEM],
        contents=levels[Level.CONTENT],
        standards=levels[Level.STANDARD],
        points=sum((build.indicators[item.code].points for item in ITEMS), Decimal(0)),
        assignments=len(build.assignments),
        tasks=len(tasks),
        overdue=sum(t.status in (TaskStatus.TODO, TaskStatus.DOING) and t.due_on < as_of for t in tasks),
        evidence=build.evidence,
        incomplete=sum(not state.complete for state in readiness.standards),
        readiness=readiness.total.percent,
        seconds=time.monotonic() - started,
    )
