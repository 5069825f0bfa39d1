"""The member roster import (党员花名册): every rejection names its row, column, value and reason."""

from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.audit import log_bulk_created
from dangjian.core.bulk import insert_rows
from dangjian.core.dates import DateError, parse_date
from dangjian.core.dictionaries import GENDER_BY_LABEL, education_code, ethnicity_code
from dangjian.core.excel import Column, as_code, iter_chunks
from dangjian.core.idnumber import IdNumberError, parse_id_number
from dangjian.core.imports import Importer, RowInvalid, register_importer
from dangjian.core.phone import PhoneError, mask_phone, normalize_phone
from dangjian.core.pinyin import initials
from dangjian.orgs.models import PartyOrg

from .models import Member
from .validation import date_problems

STATUSES = {"正式党员": Member.Status.FULL, "预备党员": Member.Status.PROBATIONARY}


@register_importer
class MemberImporter(Importer):
    kind = "members"
    label = "党员花名册"
    columns = (
        Column("name", "姓名", (), required=True, example="张三"),
        Column("gender", "性别", (), example="男"),
        Column("ethnicity", "民族", (), example="汉族"),
        Column("id_number", "公民身份号码", ("身份证号", "身份证号码", "身份证"), required=True, example="110105199001011234"),
        Column("birth_date", "出生日期", (), example="1990-01-01"),
        Column("education", "学历", ("文化程度",), example="大学本科"),
        Column("status", "人员类别", ("党员类别", "类别"), example="正式党员"),
        Column("joined_on", "入党日期", ("加入党组织日期",), required=True, example="2012-07-01"),
        Column("full_on", "转为正式党员日期", ("转正日期",), example="2013-07-01"),
        Column("job", "工作岗位", ("职务", "岗位"), example="村党支部书记"),
        Column("phone", "联系电话", ("手机号码", "电话", "手机"), example="13800138000"),
        Column("org", "所在党组织代码", ("党组织代码", "组织代码"), required=True, example="D0101001"),
    )

    def prepare(self, rows):
        codes = {as_code(v.get("org")) for _, v in rows} - {""}
        orgs = PartyOrg.objects.filter(code__in=codes)
        self.orgs = {o.code: o for o in orgs}
        allowed = orgs if self.scope is None or self.scope.unrestricted else orgs.filter(PartyOrg.scope_q(self.scope))
        self.allowed_org_codes = set(allowed.values_list("code", flat=True))
        # Parse every ID number once, then ask the ledger about all their blind indexes in chunks.
        self.parsed, self.index = {}, {}
        for row, values in rows:
            raw = values.get("id_number")
            if isinstance(raw, str) and raw:
                try:
                    parsed = parse_id_number(raw, today=self.today)
                except IdNumberError as exc:
                    self.parsed[row] = exc
                else:
                    self.parsed[row] = parsed
                    self.index[row] = crypto.blind_index(parsed.value)
        self.existing = set()
        for chunk in iter_chunks(list(set(self.index.values())), 500):
            self.existing.update(Member.objects.filter(id_number_index__in=chunk).values_list("id_number_index", flat=True))
        self.seen: dict[str, int] = {}

    def validate(self, row, values):
        errors = []
        name = str(values.get("name") or "")
        if not name:
            errors.append(("姓名", "", "必填"))
        raw_id = values.get("id_number")
        parsed = self.parsed.get(row)
        if raw_id in (None, ""):
            errors.append(("公民身份号码", "", "必填"))
            parsed = None
        elif not isinstance(raw_id, str):
            errors.append(("公民身份号码", raw_id, "该单元格是数字格式，18位号码的末几位已被表格软件改写，请将该列设为文本格式后重新填写"))
        elif isinstance(parsed, IdNumberError):
            errors.append(("公民身份号码", raw_id, str(parsed)))
            parsed = None
        else:
            index = self.index[row]
            if index in self.existing:
                errors.append(("公民身份号码", raw_id, "该公民身份号码已在党员名册中"))
            elif index in self.seen:
                errors.append(("公民身份号码", raw_id, f"与本文件第{self.seen[index]}行的公民身份号码重复"))
            else:
                self.seen[index] = row

        gender_label = str(values.get("gender") or "")
        if gender_label:
            gender = GENDER_BY_LABEL.get(gender_label)
            if gender is None:
                errors.append(("性别", gender_label, "性别应为“男”或“女”"))
            elif parsed and gender != parsed.gender:
                errors.append(("性别", gender_label, f"与公民身份号码不符（号码显示为{'男' if parsed.gender == 'male' else '女'}）"))
        birth_date = self._date(values, "birth_date", "出生日期", errors)
        if birth_date and parsed and birth_date != parsed.birth_date:
            errors.append(("出生日期", values.get("birth_date"), f"与公民身份号码不符（号码中为{parsed.birth_date:%Y-%m-%d}）"))

        ethnicity = "01"
        ethnicity_label = str(values.get("ethnicity") or "")
        if ethnicity_label:
            ethnicity = ethnicity_code(ethnicity_label)
            if ethnicity is None:
                errors.append(("民族", ethnicity_label, "不是 GB/T 3304 规定的56个民族名称之一"))
        education = ""
        education_label = str(values.get("education") or "")
        if education_label:
            education = education_code(education_label)
            if education is None:
                errors.append(("学历", education_label, "不在标准学历列表中（研究生、大学本科、大学专科、中等专科、技工学校、高中、初中、小学、其他）"))

        status_label = str(values.get("status") or "正式党员")
        status = STATUSES.get(status_label)
        if status is None:
            errors.append(("人员类别", status_label, "人员类别应为“正式党员”或“预备党员”"))
        joined_on = self._date(values, "joined_on", "入党日期", errors, required=True)
        full_on = self._date(values, "full_on", "转为正式党员日期", errors)
        if "入党日期" not in {e[0] for e in errors} and "转为正式党员日期" not in {e[0] for e in errors}:
            for column, reason in date_problems(birth_date=parsed.birth_date if parsed else None, status=status,
                                                joined_on=joined_on, full_on=full_on, today=self.today):
                errors.append((column, values.get("joined_on" if column == "入党日期" else "full_on"), reason))

        phone_enc = phone_masked = ""
        raw_phone = values.get("phone")
        if raw_phone not in (None, ""):
            try:
                phone = normalize_phone(raw_phone)
                phone_enc, phone_masked = crypto.encrypt(phone), mask_phone(phone)
            except PhoneError as exc:
                errors.append(("联系电话", raw_phone, str(exc)))

        org_code = as_code(values.get("org"))
        org = self.orgs.get(org_code)
        if not org_code:
            errors.append(("所在党组织代码", "", "必填"))
        elif org is None:
            errors.append(("所在党组织代码", org_code, f"党组织“{org_code}”不存在"))
        elif org_code not in self.allowed_org_codes:
            errors.append(("所在党组织代码", org_code, f"党组织“{org_code}”不在您的管辖范围内"))

        if errors:
            raise RowInvalid(*errors)
        return Member(
            name=name, name_initials=initials(name), gender=parsed.gender, ethnicity=ethnicity,
            id_number_enc=crypto.encrypt(parsed.value), id_number_index=self.index[row],
            id_number_masked=parsed.masked, birth_date=parsed.birth_date, education=education, status=status,
            joined_on=joined_on, full_on=full_on, job=str(values.get("job") or "")[:100],
            phone_enc=phone_enc, phone_masked=phone_masked, org=org, org_path=org.path,
        )  # fmt: skip

    def _date(self, values, key, label, errors, required=False):
        raw = values.get(key)
        if raw in (None, ""):
            if required:
                errors.append((label, "", "必填"))
            return None
        try:
            return parse_date(raw)
        except DateError as exc:
            errors.append((label, raw, str(exc)))
            return None

    def save(self, objects):
        now = timezone.now()
        for member in objects:
            member.created_at = member.updated_at = now
        fields = [f.name for f in Member._meta.concrete_fields if not f.primary_key]
        insert_rows(Member, objects, fields, chunk=self.batch_size)
        # Read the new ids back through the blind index (unique among live rows) for the audit entries.
        by_index = {m.id_number_index: m for m in objects}
        for chunk in iter_chunks(list(by_index), 500):
            for pk, index in Member.objects.filter(id_number_index__in=chunk).values_list("pk", "id_number_index"):
                by_index[index].pk = pk
        log_bulk_created(objects, fields=("name", "status", "org", "id_number_masked"))
        return len(objects)
