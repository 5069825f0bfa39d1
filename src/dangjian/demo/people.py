"""Synthetic people and bodies for the demo county: names from Faker's zh_CN data, valid ID numbers, mobile
numbers, company names and unified social credit codes, all drawn from one seeded random generator."""

import datetime as dt
import random

from faker import Faker
from faker.providers.company.zh_CN import Provider as ChineseCompanyProvider
from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from dangjian.core.idnumber import make_id_number
from dangjian.members.models import Member
from dangjian.members.services import build_member
from dangjian.units.models import Unit

from . import data

LOCAL_BIRTH_SHARE = 0.85  # members born in the county itself
PROBATIONARY_SHARE = 0.03
MINORITY_SHARE = 0.05

# Age bands (from, to, weight) by member profile: villages are old, organs of working age, new sectors young.
AGE_BANDS = {
    "local": [(20, 30, 6), (30, 40, 10), (40, 50, 15), (50, 60, 22), (60, 70, 24), (70, 80, 16), (80, 90, 7)],
    "staff": [(22, 30, 20), (30, 40, 30), (40, 50, 25), (50, 60, 20), (60, 80, 5)],
    "young": [(20, 30, 30), (30, 40, 35), (40, 50, 25), (50, 60, 10)],
}
PROFILE_AGES = {
    "village": "local", "community": "local", "organ": "staff", "school": "staff", "hospital": "staff",
    "institution": "staff", "state_enterprise": "staff", "private": "young", "gig": "young", "social": "young",
}  # fmt: skip
MALE_SHARE = {"village": 0.76, "community": 0.6, "school": 0.45, "hospital": 0.4, "gig": 0.85}

# Education (GB/T 4658 codes as in dangjian.core.dictionaries.EDUCATIONS, weights) by kind of member.
EDUCATION_MIX = {
    "local_old": {"80": 30, "70": 42, "60": 20, "40": 5, "30": 3},
    "local_young": {"70": 20, "60": 28, "40": 10, "50": 5, "30": 22, "20": 15},
    "staff": {"10": 14, "20": 58, "30": 22, "40": 3, "60": 3},
    "young": {"20": 25, "30": 35, "40": 10, "50": 8, "60": 17, "70": 5},
}


CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (1–99)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    return (CHINESE_DIGITS[tens] if tens > 1 else "") + "十" + (CHINESE_DIGITS[ones] if ones else "")


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- unified social credit codes (GB 32100-2015, with the GB 11714 organisation code inside) ----------
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
CREDIT_PREFIX = {
    Unit.Kind.ORGAN: "11",
    Unit.Kind.INSTITUTION: "12",
    Unit.Kind.STATE_ENTERPRISE: "91",
    Unit.Kind.PRIVATE_ENTERPRISE: "91",
    Unit.Kind.SOCIAL_ORG: "51",
}


def make_credit_code(rng: random.Random, prefix: str, region6: str) -> str:
    """A synthetic 18-character unified social credit code with valid check characters."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    org_check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_CODE_WEIGHTS, strict=True)) % 11
    org_code = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    first17 = prefix + region6 + org_code
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return first17 + _CREDIT_CHARS[(31 - total % 31) % 31]


def company_prefixes() -> list[str]:
    """Faker's zh_CN company name stems, without the place names and trades some of them carry."""
    skip = (
        "公司",
        "济南",
        "黄石",
        "襄樊",
        "开发区",
        "浙大",
        "联通",
        "网新",
        "飞利信",
        "方正",
        "四通",
        "七喜",
        "太极",
    )
    stems = set()
    for prefix in ChineseCompanyProvider.company_prefixes:
        if any(word in prefix for word in skip) or not all("\u4e00" <= c <= "\u9fff" for c in prefix):
            continue
        for trade in ("电子", "电脑", "信息", "科技", "计算机", "软件", "数字"):
            prefix = prefix.removesuffix(trade)
        if len(prefix) >= 2:
            stems.add(prefix)
    return sorted(stems)


class People:
    """Names, ID numbers, phone numbers, company names and whole members, reproducible for a seed."""

    def __init__(self, seed: int, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.male_chars = sorted({c for name in ChinesePersonProvider.first_names_male for c in name})
        self.female_chars = sorted({c for name in ChinesePersonProvider.first_names_female for c in name})
        self.company_prefixes = company_prefixes()
        self.used_ids: set[str] = set()

    def name(self, male: bool) -> str:
        surname = self.fake.last_name()
        if self.rng.random() < 0.5:
            given = self.fake.first_name_male() if male else self.fake.first_name_female()
        else:
            chars = self.male_chars if male else self.female_chars
            given = "".join(self.rng.sample(chars, 2 if self.rng.random() < 0.8 else 1))
        return surname + given

    def birth_date(self, age: int) -> dt.date:
        latest = add_years(self.today, -age)
        return latest - dt.timedelta(days=self.rng.randint(0, 364))

    def id_number(self, birth: dt.date, male: bool) -> str:
        region = (
            data.COUNTY_CODE
            if self.rng.random() < LOCAL_BIRTH_SHARE
            else self.rng.choice(data.OTHER_BIRTH_REGIONS)
        )
        while True:
            sequence = self.rng.randrange(1000)
            if sequence % 2 != int(male):  # the 17th digit is odd for men, even for women
                sequence ^= 1
            value = make_id_number(region, birth, sequence)
            if value[:17] not in self.used_ids:
                self.used_ids.add(value[:17])
                return value

    def company(self) -> str:
        return self.rng.choice(self.company_prefixes) + self.rng.choice(data.INDUSTRIES) + "有限公司"

    def phone(self) -> str:
        return self.rng.choice(data.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def member(self, org, profile: str, branch_size: str, is_secretary: bool) -> Member:
        """An unsaved member of `org`; `profile` says what kind of people it has (see PROFILE_AGES)."""
        rng = self.rng
        probationary = not is_secretary and rng.random() < PROBATIONARY_SHARE
        if is_secretary:
            age = rng.randint(35, 58)
        elif probationary:
            age = rng.randint(20, 38)
        else:
            bands = AGE_BANDS[PROFILE_AGES[profile]]
            low, high, _ = rng.choices(bands, weights=[weight for _, _, weight in bands])[0]
            age = rng.randint(low, high)
        male = rng.random() < (0.8 if is_secretary else MALE_SHARE.get(profile, 0.7))
        birth = self.birth_date(age)
        adult = add_years(birth, 18)
        if probationary:
            joined = max(adult, self.today - dt.timedelta(days=rng.randint(20, 350)))
            full = None
        else:
            latest = self.today - dt.timedelta(days=400)
            joined = adult + dt.timedelta(days=int((latest - adult).days * rng.betavariate(1.3, 3.5)))
            full = joined + dt.timedelta(days=365 + rng.randint(0, 20))
        if is_secretary:
            job = data.SECRETARY_JOBS.get(branch_size, "党支部书记")
        elif profile in ("village", "community", "organ") and age >= 65:
            job = "离退休人员" if profile != "village" else "农民"
        else:
            job = rng.choice(data.JOBS[profile])
        mobile = not is_secretary and (
            (profile == "village" and age < 50 and rng.random() < 0.14)
            or (profile in ("private", "gig") and rng.random() < 0.04)
        )
        if mobile and profile == "village":
            job = "外出务工人员"
        return build_member(
            name=self.name(male),
            id_number=self.id_number(birth, male),
            org=org,
            phone=self.phone() if is_secretary or rng.random() < 0.95 else None,
            ethnicity=rng.choice(data.MINORITIES) if rng.random() < MINORITY_SHARE else "01",
            education=self.education(profile, age, is_secretary),
            status=Member.Status.PROBATIONARY if probationary else Member.Status.FULL,
            joined_on=joined,
            full_on=full,
            job=job,
            is_mobile=mobile,
        )

    def education(self, profile: str, age: int, is_secretary: bool) -> str:
        group = PROFILE_AGES[profile]
        if group == "local":
            group = "local_old" if age >= 60 and not is_secretary else "local_young"
        mix = EDUCATION_MIX[group]
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]
