"""The 5 stages and 25 steps of 《中国共产党发展党员工作细则》 (中办发〔2014〕28号), as data.

`required` steps must be recorded, in order, before any later step; the others (filings with the upper
committee, continuous education) may be recorded whenever they happen. `period` names the date range a step
carries (the notice before pre-review, a training or an examination period). `status` is the member status
the step brings about in the ledger."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    number: int
    name: str

    @property
    def title(self) -> str:
        return f"第{'一二三四五'[self.number - 1]}阶段 {self.name}"


@dataclass(frozen=True)
class Step:
    number: int
    stage: int
    name: str
    required: bool = True
    period: str = ""  # label of the step's date range, when it has one
    status: str = ""  # Member.status after the step
    sponsors: bool = False  # the step names the two sponsors (入党介绍人)
    training: bool = False  # the step records a concentrated training (days / hours)


STAGES = [
    Stage(1, "申请入党"),
    Stage(2, "入党积极分子的确定和培养教育"),
    Stage(3, "发展对象的确定和考察"),
    Stage(4, "预备党员的接收"),
    Stage(5, "预备党员的教育、考察和转正"),
]

STEPS = [
    Step(1, 1, "递交入党申请书", status="applicant"),
    Step(2, 1, "党组织派人谈话"),
    Step(3, 2, "推荐和确定入党积极分子", status="activist"),
    Step(4, 2, "上级党委备案", required=False),
    Step(5, 2, "指定培养联系人"),
    Step(6, 2, "培养教育考察", required=False, period="培养考察期"),
    Step(7, 3, "确定发展对象", status="candidate"),
    Step(8, 3, "报上级党委备案", required=False),
    Step(9, 3, "确定入党介绍人", sponsors=True),
    Step(10, 3, "进行政治审查"),
    Step(11, 3, "开展集中培训", period="培训期", training=True),
    Step(12, 4, "支部委员会审查"),
    Step(13, 4, "上级党委预审", period="公示期"),
    Step(14, 4, "填写入党志愿书"),
    Step(15, 4, "支部大会讨论", status="probationary"),
    Step(16, 4, "上级党委派人谈话"),
    Step(17, 4, "上级党委审批"),
    Step(18, 4, "再上一级党委组织部门备案", required=False),
    Step(19, 5, "编入党支部和党小组"),
    Step(20, 5, "入党宣誓"),
    Step(21, 5, "继续教育考察", required=False, period="预备期考察"),
    Step(22, 5, "提出转正申请"),
    Step(23, 5, "支部大会讨论"),
    Step(24, 5, "上级党委审批", status="full"),
    Step(25, 5, "材料归档"),
]

BY_NUMBER = {s.number: s for s in STEPS}
STAGE_NAMES = {s.number: s.name for s in STAGES}
LAST = STEPS[-1].number
VOTE_STEP = 15  # the 支部大会 vote that admits the probationary member: Member.joined_on
CONVERSION_STEP = 24  # the upper committee's approval of conversion: the member becomes full
STEP_CHOICES = [(s.number, f"{s.number}. {s.name}") for s in STEPS]
STAGE_CHOICES = [(s.number, s.title) for s in STAGES]


def label(number: int) -> str:
    """“第15步 支部大会讨论（预备党员的接收）”: the name alone is ambiguous (15 and 23 share it)."""
    step = BY_NUMBER[number]
    return f"第{step.number}步“{step.name}”（{STAGE_NAMES[step.stage]}）"


def previous_required(number: int) -> list[Step]:
    return [s for s in STEPS if s.number < number and s.required]
