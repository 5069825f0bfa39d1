"""法定节假日安排: the administrator enters the State Council's schedule for years chinese-calendar lacks."""


from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import workdays
from .models import CalendarDay
from .services import CalendarError, do_delete_calendar_day, do_set_calendar_day


class CalendarDayForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}))
    is_workday = forms.TypedChoiceField(label="安排", choices=[("False", "放假（休息日）"), ("True", "调休上班（工作日）")],
                                        coerce=lambda v: v == "True",
                                        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    name = forms.CharField(label="说明", max_length=50, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                         "placeholder": "如：春节、国庆节调休上班"}))


@login_required
def calendar_days(request):
    if not request.user.can("configure"):
        raise Http404
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year + 1)
    except ValueError:
        year = this_year + 1
    form = CalendarDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_set_calendar_day(actor=request.user, **form.cleaned_data)
        except CalendarError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已录入 {form.cleaned_data['date']}")
            return redirect(f"{request.path}?year={form.cleaned_data['date'].year}")
    years = [(y, workdays.library_knows(y), CalendarDay.objects.filter(date__year=y).count())
             for y in range(this_year - 1, this_year + 3)]
    return render(request, "core/calendar.html", {
        "title": "法定节假日安排", "form": form, "year": year, "years": years,
        "days": CalendarDay.objects.filter(date__year=year), "official": workdays.is_official(year),
        "library_knows": workdays.library_knows(year), "breadcrumbs": [{"label": "系统"}, {"label": "法定节假日安排"}],
    }, status=400 if request.method == "POST" else 200)  # fmt: skip


@login_required
@require_POST
def calendar_day_delete(request, pk):
    if not request.user.can("configure"):
        raise Http404
    day = get_object_or_404(CalendarDay, pk=pk)
    do_delete_calendar_day(actor=request.user, day=day)
    messages.success(request, f"已删除 {day.date}")
    return redirect(f"/system/calendar/?year={day.date.year}")


