"""Writes for users and role assignments."""

import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.authtoken.models import Token

from dangjian.core.audit import acting

from .models import RoleAssignment, User
from .roles import ROLES


class AccountError(ValueError):
    pass


def generate_password(length: int = 14) -> str:
    """A random password that satisfies the 3-of-4 character class rule."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*-_"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        classes = [any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
        if all(classes):
            return password


def resolve_node(code: str):
    """A region division code, an organisation code or a department code → (kind, object)."""
    from dangjian.orgs.models import PartyOrg
    from dangjian.places.models import Region
    from dangjian.units.models import Department

    for kind, model, field in (("org", PartyOrg, "code"), ("department", Department, "code"),
                               ("region", Region, "division_code")):
        obj = model.objects.filter(**{field: code}).first()
        if obj is not None:
            return kind, obj
    raise AccountError(f"找不到代码为“{code}”的区划、党组织或部门")


@transaction.atomic
def do_create_user(*, actor, username: str, password: str | None, role: str, scope_code: str | None = None,
                   display_name: str = "", member=None) -> tuple[User, str]:
    """Create a user with one role assignment; returns (user, password). Generates a password if none given."""
    if role not in ROLES:
        raise AccountError(f"未知角色“{role}”，可选：{'、'.join(ROLES)}")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"用户名“{username}”已存在")
    password = password or generate_password()
    user = User(username=username, display_name=display_name, member=member)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError("；".join(exc.messages)) from exc
    user.set_password(password)
    with acting(actor):
        user.save()
        do_assign_role(actor=actor, user=user, role=role, scope_code=scope_code)
    return user, password


def do_assign_role(*, actor, user: User, role: str, scope_code: str | None) -> RoleAssignment:
    if role not in ROLES:
        raise AccountError(f"未知角色“{role}”")
    assignment = RoleAssignment(user=user, role=role)
    if role == "member":
        if user.member_id is None:
            raise AccountError("党员角色需要关联本人的党员档案")
    else:
        if not scope_code:
            raise AccountError("该角色需要指定管辖范围代码（--scope）")
        kind, node = resolve_node(scope_code)
        setattr(assignment, kind, node)
    with acting(actor):
        assignment.save()
    user.__dict__.pop("_scope_cache", None)
    return assignment


def do_issue_token(*, user: User) -> str:
    """Replace the user's API token with a new one and return it."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user).key
