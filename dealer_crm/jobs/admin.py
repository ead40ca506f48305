from celery.schedules import ParseException
from django import forms
from django.contrib import admin
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from dealer_crm.admin import ReadOnlyAdmin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["run_date", "job_name", "status", "runs", "finished_at"]
    list_filter = ["status", "job_name"]
    date_hierarchy = "run_date"


# django-celery-beat's schedule admin, with two of its 500s answered as form errors.
class PeriodicTaskForm(beat_admin.PeriodicTaskForm):
    def clean(self):
        # Its clean() reads cleaned_data["task"], absent when the field was refused (a name over 200
        # characters): a KeyError. The field's own error already says what is wrong.
        if "task" not in self.cleaned_data:
            return forms.ModelForm.clean(self)
        return super().clean()


class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    form = PeriodicTaskForm


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    def human_readable(self, obj):
        # A refused edit shows the form again with the refused values on the instance; describing
        # them raises celery's ParseException (not a ValueError, so the model's property lets it out).
        try:
            return obj.human_readable
        except ParseException:
            return "—"


for model, model_admin in ((PeriodicTask, PeriodicTaskAdmin), (CrontabSchedule, CrontabScheduleAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
