"""A deterministic little world: builders (enterprises) and projects across Zhengzhou's districts."""

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import uscc

from ledger.core.identifiers import DISTRICTS

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BUILDERS = [
    "郑州中原置业有限公司",
    "河南金水城建集团有限公司",
    "郑州航空港兴港置业有限公司",
    "郑州高新城市发展有限公司",
    "河南二七实业有限公司",
    "郑州惠济建设投资有限公司",
    "巩义市城投置业有限公司",
    "新郑华夏房地产开发有限公司",
]
KINDS = ["住宅小区", "商务中心", "商业综合体", "产业园", "安置房", "学校", "医院门诊楼", "物流园"]


def make_uscc(rng: random.Random, division: str) -> str:
    body = "91" + division + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True)
class Builder:
    uscc: str
    name: str


@dataclass
class SimProject:
    code: str
    name: str
    builder: Builder
    district: str
    required_area: int  # 0.01 m²
    built_area: int

    def registration(self, stage: str = "construction") -> dict:
        return {
            "project_code": self.code,
            "name": self.name,
            "builder_uscc": self.builder.uscc,
            "builder_name": self.builder.name,
            "contact_person": "项目联系人",
            "contact_phone": "0371-6555" + f"{int(hashlib.sha256(self.code.encode()).hexdigest(), 16) % 10000:04d}",
            "district": self.district,
            "required_shelter_area": self.required_area,
            "built_shelter_area": self.built_area,
            "stage": stage,
        }

    def materials_on_file(self) -> list[dict]:
        """What the approval system holds for the project: its electronic licences and the survey report
        (the declaration guide marks these "nothing to upload"), numbered and dated from its code."""
        serial = self.code.rsplit("-", 1)[-1]
        day = int(hashlib.sha256(self.code.encode()).hexdigest(), 16) % 200
        issued = date(2026, 1, 5) + timedelta(days=day)
        return [
            {"code": "LAND_USE_PERMIT", "number": f"地字第{self.district}2026{serial}号", "issued_on": str(issued)},
            {
                "code": "PLANNING_PERMIT",
                "number": f"建字第{self.district}2026{serial}号",
                "issued_on": str(issued + timedelta(days=30)),
            },
            {"code": "SURVEY_REPORT", "number": f"KC-2026-{serial}", "issued_on": str(issued + timedelta(days=45))},
        ]


class World:
    """Builders and projects, the same for the same seed (serials include a run tag, so a second
    run against the same database registers new projects rather than colliding)."""

    def __init__(self, seed: int = 2026, run_tag: int = 0):
        self.rng = random.Random(seed)
        self.run_tag = run_tag
        self.builders = [Builder(make_uscc(self.rng, "410100"), name) for name in BUILDERS]
        self._serial = 0
        self.projects: list[SimProject] = []

    def new_project(self) -> SimProject:
        self._serial += 1
        district = list(DISTRICTS)[self._serial % len(DISTRICTS)]
        kind = KINDS[self._serial % len(KINDS)]
        required = self.rng.randrange(200_000, 1_500_000, 100)  # 2,000 – 15,000 m²
        built = required - self.rng.randrange(10_000, required // 2, 100)
        project = SimProject(
            code=f"2026-{district}-70-01-{self.run_tag % 100:02d}{self._serial:04d}",
            name=f"{DISTRICTS[district]}{kind}{self._serial}期",
            builder=self.rng.choice(self.builders),
            district=district,
            required_area=required,
            built_area=built,
        )
        self.projects.append(project)
        return project

    def sha(self, *parts: str) -> str:
        return hashlib.sha256("/".join(parts).encode()).hexdigest()
