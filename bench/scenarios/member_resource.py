"""The baseline: a django-import-export ModelResource for Member, written the way its documentation shows.

It does the per-row work Dangjian's importer does, so that both produce the same valid Member rows from
the same roster: validate and parse the ID number (blind index for the existing-member lookup, SM4
ciphertext, mask, birth date and gender), map the 性别/民族/学历/人员类别 labels to codes, parse dates
leniently, check the cross-field rules (gender and birth date against the ID number, 18 at joining,
转正 after 入党, no 转正 date for a probationary member), normalise, encrypt and mask the phone, find
the organisation by code and copy its path, and compute the pinyin initials.

It keeps the library's defaults: one instance lookup per row (ModelInstanceLoader on import_id_fields),
one organisation query per row (ForeignKeyWidget), a savepoint and a Model.save() per row (so auditlog
writes its entry through the post_save signal), a diff per row; no bulk mode.
Import only after django.setup().
"""

import datetime as dt

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from dangjian.core import crypto
from dangjian.core.dates import age_on, parse_date
from dangjian.core.dictionaries import GENDER_BY_LABEL, education_code, ethnicity_code
from dangjian.core.idnumber import parse_id_number
from dangjian.core.phone import PhoneError, mask_phone, normalize_phone
from dangjian.core.pinyin import initials
from dangjian.members.models import Member
from dangjian.orgs.models import PartyOrg

STATUSES = {"正式党员": Member.Status.FULL, "预备党员": Member.Status.PROBATIONARY}


class LabelWidget(widgets.Widget):
    """A Chinese label (男, 汉族, 大学本科, 正式党员) → its stored code."""

    def __init__(self, lookup, label: str, default=""):
        super().__init__()
        self.lookup, self.label, self.default = lookup, label, default

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return self.default
        code = self.lookup(text)
        if code is None:
            raise ValueError(f"{self.label}“{text}”无效")
        return code


class LenientDateWidget(widgets.DateWidget):
    """Date cells and the text forms county rosters use (the same parser as Dangjian's importer)."""

    def clean(self, value, row=None, **kwargs):
        return parse_date(value)


class IdNumberIndexWidget(widgets.Widget):
    """公民身份号码 → its blind index, so import_id_fields finds an existing member by ID number."""

    def clean(self, value, row=None, **kwargs):
        if not isinstance(value, str):
            raise ValueError("公民身份号码必须是文本格式单元格")
        return crypto.blind_index(parse_id_number(value).value)


class MemberResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="姓名", widget=widgets.CharWidget())
    gender = fields.Field(
        attribute="gender", column_name="性别", widget=LabelWidget(GENDER_BY_LABEL.get, "性别")
    )
    ethnicity = fields.Field(
        attribute="ethnicity", column_name="民族", widget=LabelWidget(ethnicity_code, "民族", default="01")
    )
    id_number = fields.Field(
        attribute="id_number_index", column_name="公民身份号码", widget=IdNumberIndexWidget()
    )
    birth_date = fields.Field(attribute="birth_date", column_name="出生日期", widget=LenientDateWidget())
    education = fields.Field(
        attribute="education", column_name="学历", widget=LabelWidget(education_code, "学历")
    )
    status = fields.Field(
        attribute="status",
        column_name="人员类别",
        widget=LabelWidget(STATUSES.get, "人员类别", Member.Status.FULL),
    )
    joined_on = fields.Field(attribute="joined_on", column_name="入党日期", widget=LenientDateWidget())
    full_on = fields.Field(attribute="full_on", column_name="转为正式党员日期", widget=LenientDateWidget())
    job = fields.Field(attribute="job", column_name="工作岗位", widget=widgets.CharWidget())
    org = fields.Field(
        attribute="org", column_name="所在党组织代码", widget=widgets.ForeignKeyWidget(PartyOrg, "code")
    )

    class Meta:
        model = Member
        fields = (
            "name", "gender", "ethnicity", "id_number", "birth_date", "education", "status",
            "joined_on", "full_on", "job", "org",
        )  # fmt: skip
        import_id_fields = ("id_number",)

    def before_save_instance(self, instance, row, **kwargs):
        today = dt.date.today()
        parsed = parse_id_number(row["公民身份号码"])
        errors = {}
        if not instance.name:
            errors["name"] = "必填"
        if instance.gender and instance.gender != parsed.gender:
            errors["gender"] = "与公民身份号码不符"
        if instance.birth_date and instance.birth_date != parsed.birth_date:
            errors["birth_date"] = "与公民身份号码不符"
        if instance.joined_on is None:
            errors["joined_on"] = "必填"
        elif instance.joined_on > today:
            errors["joined_on"] = "入党日期不能晚于今天"
        elif age_on(parsed.birth_date, instance.joined_on) < 18:
            errors["joined_on"] = "入党时未满18周岁"
        if instance.status == Member.Status.FULL:
            if not instance.full_on:
                errors["full_on"] = "正式党员必须填写转为正式党员日期"
            elif instance.joined_on and instance.full_on < instance.joined_on:
                errors["full_on"] = "转为正式党员日期早于入党日期"
        elif instance.full_on:
            errors["full_on"] = "预备党员不应填写转为正式党员日期"
        if instance.org_id is None:
            errors["org"] = "必填"
        phone = row.get("联系电话")
        instance.phone_enc = instance.phone_masked = ""
        if phone not in (None, ""):
            try:
                phone = normalize_phone(phone)
                instance.phone_enc, instance.phone_masked = crypto.encrypt(phone), mask_phone(phone)
            except PhoneError as exc:
                errors["phone_enc"] = str(exc)
        if errors:
            raise ValidationError(errors)
        instance.gender, instance.birth_date = parsed.gender, parsed.birth_date
        instance.id_number_enc = crypto.encrypt(parsed.value)
        instance.id_number_masked = parsed.masked
        instance.name_initials = initials(instance.name)
        instance.org_path = instance.org.path

    @classmethod
    def mode(cls) -> str:
        meta = cls._meta
        return (
            f"ModelResource defaults: use_transactions=True, use_bulk={meta.use_bulk}, skip_diff={meta.skip_diff}, "
            f"skip_html_diff={meta.skip_html_diff}, clean_model_instances={meta.clean_model_instances}, "
            f"instance_loader={meta.instance_loader_class.__name__}, ForeignKeyWidget for the organisation"
        )
