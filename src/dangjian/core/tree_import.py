"""Shared pieces for importing tree-shaped ledgers (regions, organisations, departments)."""

from .imports import Importer, RowInvalid


class TreeImporter(Importer):
    """Rows name their parent by code; a parent may be in the ledger or earlier in the same file.

    Subclasses set `model`, `code_field` and implement `build(row, values, parent_code)`.
    Within the user's scope, new nodes must hang below a node of that scope.
    """

    model = None
    code_field = "code"
    code_label = "代码"
    parent_label = "上级代码"

    def scope_paths(self) -> tuple[str, ...] | None:
        return None

    def prepare(self, rows):
        codes = {str(v.get("code") or "") for _, v in rows} | {str(v.get("parent") or "") for _, v in rows}
        codes.discard("")
        self.existing = {
            getattr(node, self.code_field): node
            for node in self.model.objects.filter(**{f"{self.code_field}__in": codes})
        }
        self.pending: dict[str, object] = {}  # code → unsaved node accepted earlier in this file

    def resolve_parent(self, parent_code: str, errors: list):
        if not parent_code:
            if self.scope is not None and not self.scope.unrestricted:
                errors.append((self.parent_label, "", "您只能在自己管辖范围内的节点下导入，必须填写上级"))
            return None
        parent = self.existing.get(parent_code) or self.pending.get(parent_code)
        if parent is None:
            errors.append((self.parent_label, parent_code, f"上级“{parent_code}”不存在（既不在系统中，也不在本文件前面的行中）"))
            return None
        paths = self.scope_paths()
        if parent_code in self.existing and paths is not None and not any(parent.path.startswith(p) for p in paths):
            errors.append((self.parent_label, parent_code, f"上级“{parent_code}”不在您的管辖范围内"))
        return parent

    def check_code(self, code: str, errors: list):
        if not code:
            errors.append((self.code_label, "", "必填"))
        elif code in self.existing or code in self.pending:
            errors.append((self.code_label, code, f"代码“{code}”已存在" + ("（本文件前面的行已使用）" if code in self.pending else "")))

    def accept(self, code: str, node, parent_code: str):
        node._import_parent_code = parent_code
        self.pending[code] = node
        return node

    def save(self, objects):
        for node in objects:
            parent_code = node._import_parent_code
            if not parent_code:
                saved = self.model.objects.add_root(instance=node)
            else:
                saved = self.model.objects.add_child(self.existing[parent_code], instance=node)  # saved before, in file order
            self.existing[getattr(saved, self.code_field)] = saved
        return len(objects)

    def fail_if(self, errors: list):
        if errors:
            raise RowInvalid(*errors)


def objects_by_code(model, code_field: str, rows, key: str) -> dict:
    """{code: object} for every code that column `key` of the rows names, in one query."""
    from .excel import as_code

    codes = {as_code(values.get(key)) for _, values in rows} - {""}
    return {getattr(o, code_field): o for o in model.objects.filter(**{f"{code_field}__in": codes})}
