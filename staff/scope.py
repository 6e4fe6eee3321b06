"""Admin scoped per centre: which centres' configuration a staff member sees and edits.

A superuser edits every centre. Anyone else edits only the centres of their
memberships (none: the default centre, as everywhere else in staff/), and a national
supervisor nothing: they look at load across centres on the dashboard, and no centre's
configuration is theirs to change. ``CentreScoped`` applies that to a ModelAdmin: the
changelist, the foreign-key choices and every object-level permission, so that a forged
POST to another centre's row finds nothing (404) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

from staff.roles import is_national


def admin_centres(user: Any) -> frozenset[int] | None:
    """The ids of the centres whose configuration this user may edit; None: every centre."""
    from centres.models import Centre
    from staff.models import Membership

    if user.is_superuser:
        return None
    if is_national(user):
        return frozenset()
    rows = list(Membership.objects.filter(user_id=user.pk).values_list("centre_id", "role"))
    if rows:
        # A membership as counsellor only gives no say over the centre's configuration.
        return frozenset(centre for centre, role in rows if role in ("", "supervisor"))
    return frozenset(Centre.objects.filter(default=True).values_list("pk", flat=True))


def audit_scope(user: Any) -> Q | None:
    """The staff audit rows this supervisor reads (audit/models.py); None: every row.

    A superuser and a national supervisor read all. A centre's supervisor reads what was
    done in their centres, what concerns the people who work there (log-ins, duty, roles;
    no membership at all means the default centre), their own rows, and what concerns
    no centre and no person (a partner's export of every centre together): not who logged
    in at a centre they have nothing to do with.
    """
    from django.contrib.auth import get_user_model

    from centres.models import Centre
    from staff.models import Membership

    if user.is_superuser or is_national(user):
        return None
    rows = Membership.objects.filter(user_id=user.pk)
    if rows.exists():
        mine = set(rows.filter(role__in=("", "supervisor")).values_list("centre_id", flat=True))
        default = Centre.objects.filter(pk__in=mine, default=True).exists()
    else:
        mine = set(Centre.objects.filter(default=True).values_list("pk", flat=True))
        default = True
    people = Q(memberships__centre_id__in=mine)
    if default:
        people |= Q(memberships__isnull=True)
    names = list(get_user_model().objects.filter(people).values_list("username", flat=True).distinct())
    personal = Q(actor_name__in=names) | Q(subject_name__in=names)
    nobodys = Q(actor__isnull=True, actor_name="", subject_name="")
    return Q(centre_id__in=mine) | Q(centre__isnull=True) & (personal | nobodys) | Q(actor_id=user.pk)


class CentreScoped:
    """A ModelAdmin mixin (first in the bases) for rows that belong to a centre.

    ``centre_path`` leads from the row to its centre's id ("pk" for a centre itself,
    "centre_id", "line__centre_id"). ``null_path`` names a nullable field whose empty
    value means the default centre (``null_means = "default"``: hours from before there
    were centres) or every centre (``"shared"``: a text all centres use, which a centre's
    supervisor reads but only a superuser changes). ``own_choices`` are the foreign keys
    whose choices are limited to the user's centres.
    """

    centre_path = "centre_id"
    null_path = ""
    null_means = "default"
    own_choices: tuple[str, ...] = ("centre", "line")

    def scope(self, request: HttpRequest, editing: bool) -> Q | None:
        """The rows this user may see (or, ``editing``, change); None: all."""
        from centres.models import Centre

        ids = admin_centres(request.user)
        if ids is None:
            return None
        scope = Q(**{f"{self.centre_path}__in": ids})
        if self.null_path:
            empty = Q(**{f"{self.null_path}__isnull": True})
            if (self.null_means == "shared" and not editing) or (
                self.null_means == "default" and Centre.objects.filter(pk__in=ids, default=True).exists()
            ):
                scope |= empty
        return scope

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        scope = self.scope(request, editing=False)
        return queryset if scope is None else queryset.filter(scope)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        found = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if found is None and admin_centres(request.user) is not None:
            # Another centre's row, or none: the same answer, which tells nothing.
            raise Http404
        return found

    def _in_scope(self, request: HttpRequest, obj: Model | None, editing: bool) -> bool:
        if obj is None or obj.pk is None:
            return True
        scope = self.scope(request, editing)
        return scope is None or type(obj)._default_manager.filter(scope, pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_view_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._in_scope(request, obj, editing=False)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._in_scope(request, obj, editing=True)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)  # type: ignore[misc]
        return bool(allowed) and self._in_scope(request, obj, editing=True)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        ids = admin_centres(request.user)
        if ids is not None and db_field.name in self.own_choices:
            from centres.models import Centre, Line

            if db_field.related_model is Line:
                kwargs["queryset"] = Line.objects.filter(centre_id__in=ids).select_related("centre")
            elif db_field.related_model is Centre:
                kwargs["queryset"] = Centre.objects.filter(pk__in=ids)
            # Empty means the default centre or every centre: a superuser's choice.
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
