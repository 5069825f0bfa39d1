"""Writes of the briefings: uploading and deleting .docx templates, and the audited export of a generated
document (every download of a briefing is an export, like the spreadsheets)."""

import os

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import acting, record_access

from . import briefing, templating
from .briefing_models import BriefingTemplate
from .queries import may_see
from .registry import Node, Period

NAME_MAX = 100


class BriefingError(ValueError):
    """A refused write: a Chinese message naming the field and the reason; nothing was changed."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message, self.field = message, field


def template_node(t: BriefingTemplate) -> Node:
    return Node(t.scope_tree, t.scope_path, t.scope_code, t.scope_name)


def may_delete(user, t: BriefingTemplate) -> bool:
    """The uploader, or whoever may change the node the template belongs to."""
    if user is None:
        return True
    return t.uploaded_by_id == user.pk or may_see(user, template_node(t), "change")


@transaction.atomic
def do_upload_briefing_template(*, actor, name: str, upload, nodes: dict[str, Node | None], now=None
                                ) -> BriefingTemplate:
    """Check and store an uploaded .docx template for the scope `nodes` (its main node: the region, else the
    organisation). Refused (BriefingError) when the name is missing, the file is not a real .docx or too large, or
    the template does not render with the variables of the scope for the current month (unknown variables, bad
    syntax) — the message names the paragraph and the problem."""
    name = (name or "").strip()
    if not name:
        raise BriefingError("模板名称：请填写", "name")
    if len(name) > NAME_MAX:
        raise BriefingError(f"模板名称：最多 {NAME_MAX} 个字", "name")
    if upload is None:
        raise BriefingError("模板文件：请选择要上传的 .docx 文件", "file")
    original = os.path.basename(getattr(upload, "name", "") or "")
    if not original.lower().endswith(".docx"):
        raise BriefingError(f"模板文件：“{original}”不是 .docx 文件（.doc、.wps 请先另存为 .docx）", "file")
    if (getattr(upload, "size", 0) or 0) > briefing.MAX_TEMPLATE_BYTES:
        raise BriefingError(f"模板文件：文件过大，最大 {briefing.MAX_TEMPLATE_BYTES // 1024 // 1024} MB", "file")
    data = upload.read()
    reason = briefing.check_docx_file(data)
    if reason:
        raise BriefingError(f"模板文件：{reason}", "file")
    main = nodes.get("region") or nodes.get("org")
    if main is None:
        raise BriefingError("统计范围：没有可用的统计范围", "scope")
    period = Period.of("month", timezone.localdate(now) if now else timezone.localdate())
    try:
        briefing.render_docx_template(data, templating.context_for(nodes, period, now=now))
    except templating.TemplateProblem as exc:
        raise BriefingError(f"模板内容有误：{exc}", "file") from None
    with acting(actor):
        t = BriefingTemplate(name=name, original_name=original[:255], size=len(data),
                             variables=briefing.template_variables(data), scope_tree=main.tree,
                             scope_path=main.path, scope_code=main.code, scope_name=main.name,
                             region_path=nodes["region"].path if nodes.get("region") else None,
                             org_path=nodes["org"].path if nodes.get("org") else None,
                             uploaded_by=actor if getattr(actor, "is_authenticated", False) else None)  # fmt: skip
        t.file.save(f"{main.code or 'all'}.docx", ContentFile(data), save=False)
        t.save()
    return t


@transaction.atomic
def do_delete_briefing_template(*, actor, template: BriefingTemplate) -> None:
    if not may_delete(actor, template):
        raise BriefingError("只有上传人或该范围的管理员可以删除模板")
    with acting(actor):
        stored = template.file.name
        template.delete()
    if stored:
        transaction.on_commit(lambda: template.file.storage.delete(stored))


def do_export_briefing(*, actor, nodes: dict[str, Node | None], period: Period, template: BriefingTemplate | None = None,
                       issuer: str | None = None, date=None, now=None) -> tuple[bytes, str]:
    """The .docx of a briefing (the built-in 工作通报, or an uploaded template filled for the scope), audited as an
    export: (bytes, file name). TemplateProblem when an uploaded template no longer renders."""
    main = nodes.get("region") or nodes.get("org")
    if template is None:
        doc = briefing.collect(nodes, period, now=now, issuer=issuer, date=date)
        data, filename = briefing.build_docx(doc), doc.filename
    else:
        with template.file.open("rb") as f:
            source = f.read()
        data = briefing.render_docx_template(source, templating.context_for(nodes, period, now=now))
        filename = f"{template.name}-{main.name}-{period.label}.docx"
    record_access("export", object_type="briefing", object_id=template.pk if template else "",
                  object_repr=filename.removesuffix(".docx"), count=1, user=actor,
                  detail={"scope": main.code, "period": period.code, "template": template.pk if template else None,
                          "bytes": len(data)})  # fmt: skip
    return data, filename


def read_upload(data: bytes, name: str = "模板.docx"):
    """An in-memory upload (for the CLI and the tests)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")

