"""Reads of the callback scripts, with what their pages and the workbench need loaded."""

from django.db.models import Count, Prefetch, QuerySet

from .models import Question, Script, ScriptKind, ScriptVersion


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


def scripts_for_list() -> list[Script]:
    """Every script, in use first, by kind in the order the kinds are listed (thank-you, SSI, CSI…),
    each with `published` and `draft` (a version or None) and the number of questions of each."""
    live = (ScriptVersion.objects.filter(status__in=[ScriptVersion.Status.PUBLISHED, ScriptVersion.Status.DRAFT])
            .select_related("published_by").annotate(question_count=Count("questions")))
    kinds = {kind: number for number, kind in enumerate(ScriptKind.values)}
    scripts = sorted(Script.objects.prefetch_related(Prefetch("versions", queryset=live, to_attr="live_versions")),
                     key=lambda s: (not s.active, kinds.get(s.kind, len(kinds)), s.brand == "", s.brand, s.name))
    for script in scripts:
        by_status = {v.status: v for v in script.live_versions}
        script.published = by_status.get(ScriptVersion.Status.PUBLISHED)
        script.draft = by_status.get(ScriptVersion.Status.DRAFT)
    return scripts


def script_versions(*, script: Script) -> QuerySet[ScriptVersion]:
    """A script's versions, newest first, with who wrote and published each and how many questions."""
    return (script.versions.select_related("created_by", "published_by")
            .annotate(question_count=Count("questions")).order_by("-number"))
