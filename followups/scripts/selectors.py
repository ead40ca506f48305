"""Reads of the callback scripts, with what their pages and the workbench need loaded."""

from django.db.models import Prefetch, QuerySet

from .models import Question, Script, ScriptVersion


def _questions_in_order() -> Prefetch:
    return Prefetch("questions", queryset=Question.objects.order_by("position"))


def published_version(*, kind: str, brand: str) -> ScriptVersion | None:
    """The published version the agent reads for a callback of this kind on a vehicle of this brand.

    A script in use for the brand wins over the all-brand script (brand ""); None when neither has a
    published version.
    """
    brands = [brand, ""] if brand else [""]
    versions = list(
        ScriptVersion.objects
        .filter(status=ScriptVersion.Status.PUBLISHED, script__active=True, script__kind=kind,
                script__brand__in=brands)
        .select_related("script")
        .prefetch_related(_questions_in_order())
    )
    versions.sort(key=lambda v: v.script.brand == "")  # the brand's own script first
    return versions[0] if versions else None


def version_with_questions(*, version_id: int) -> ScriptVersion:
    """One version with its script and its questions in order (raises DoesNotExist)."""
    return (ScriptVersion.objects.select_related("script", "published_by", "created_by")
            .prefetch_related(_questions_in_order()).get(pk=version_id))
