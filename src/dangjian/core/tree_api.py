from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr


def with_parent_code(queryset, code_field: str = "code"):
    """Annotate `parent_code` from the materialised path: one indexed subquery, no tree walk."""
    model = queryset.model
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - model.steplen)
    return queryset.annotate(
        parent_code=Subquery(model.objects.filter(path=parent_path).values(code_field)[:1])
    )
