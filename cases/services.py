"""Writes to cases: loading the published reference data, approving returns, importing spreadsheets."""

import csv
import hashlib
import io
import re
from collections import Counter
from datetime import date
from pathlib import Path

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cases.audit import audit
from cases.change_requests import ChangeRequest
from cases.imports import ImportPlan
from cases.models import (
    CaseLine,
    CriminalOutcome,
    FoiRequest,
    FoiReturn,
    ImportBatch,
    Offence,
    Outcome,
    ReportedFigure,
    ReviewState,
    Role,
    Source,
    System,
    Unit,
)

# Approving, withdrawing and rolling back are the publishing gate's (cases/publishing.py).
from cases.publishing import (  # noqa: F401
    _json,
    foi_returns_approve,
    foi_returns_withdraw,
    import_batch_rollback,
    pending_for,
    record_delete,
    record_save,
)
from forces.models import AuditedChange, Force
from forces.services import (
    KEPT,
    ReferenceDataError,
    changed_since_load,
    forces_load,
    read_csv,
    upsert,
    workforce_load,
)

PARLIAMENT_STREET_FILE = "foi_2019_parliament_street.csv"
OTHER_STUDIES_FILE = "other_police_data_misuse_foi.csv"
# The same columns as OTHER_STUDIES_FILE: figures gathered later (SOURCES.md, last section).
ADDITIONAL_FILE = "additional_foi_figures.csv"
# HMRC is not a police force: its rows ride along in the 2019 file and are left out on purpose.
OUT_OF_SCOPE_SLUGS = {"hmrc"}
# Cleveland published its own reply to a request worded like Parliament Street's; the link is
# not confirmed, so its rows belong to a request of their own.
CLEVELAND_11288_URL = (
    "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2019/october/11288---computer-misuse/"
)
METRIC_ALIASES = {"outcome:dismissed": ("dismissed", "")}


# A change the loader asked for in public data, as a change request another person approves;
# WAITING: asked for on an earlier run, and still waiting.
SENT_FOR_REVIEW = "sent for review"
WAITING = "waiting for review"


class LoadReport:
    """Counts what the load created, updated, left unchanged, deleted or skipped, per kind."""

    def __init__(self):
        self.counts: dict[str, Counter] = {}

    def __call__(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += n

    @property
    def changed(self) -> bool:
        return any(
            c["created"] or c["updated"] or c["deleted"] or c[SENT_FOR_REVIEW] for c in self.counts.values()
        )

    def lines(self) -> list[str]:
        order = ("created", "updated", "unchanged", "deleted", "skipped", SENT_FOR_REVIEW, WAITING, KEPT)
        return [
            f"{kind}: " + ", ".join(f"{counter[o]} {o}" for o in order if counter[o])
            for kind, counter in self.counts.items()
        ]


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value.strip() else None


def _int(value: str, where: str = "", name: str = "value") -> int | None:
    """A count as the files write it: empty is unknown (None); anything else a whole number >= 0."""
    value = value.strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise ReferenceDataError(f"{where}: {name} must be a whole number of 0 or more.")
    return int(value)


def _choice(value: str, choices, where: str) -> str:
    if value not in choices.values:
        raise ReferenceDataError(f"{where}: {value!r} is not one of {', '.join(choices.values)}.")
    return value


def _set_sources(row, wanted: list[Source], outcome: str) -> str:
    """Cite these sources (in the reference files' reading), unless a person changed the row since."""
    if row is None or outcome not in ("created", "updated", "unchanged"):
        return outcome
    current = set(row.sources.values_list("pk", flat=True))
    if current == {s.pk for s in wanted}:
        return outcome
    if outcome == "unchanged" and changed_since_load(row):
        return KEPT
    row.sources.set(wanted)
    return "updated" if outcome == "unchanged" else outcome


def _loader_create(first_load: bool):
    """How the loader adds a row: straight in on a first load into an empty database; after
    that through the publishing gate, so a public addition waits for a reviewer (once)."""

    def create(instance, lookup: dict):
        if first_load:
            instance.save()
            return instance, "created"
        model = type(instance)
        identity = {name: _json(model._meta.get_field(name).value_from_object(instance)) for name in lookup}
        waiting = ChangeRequest.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            action=ChangeRequest.Action.CREATE,
            state=ChangeRequest.State.PENDING,
            values__contains=identity,
        )
        if waiting.exists():
            return None, WAITING
        recorded = record_save(instance=instance, user=None, via=AuditedChange.Via.LOADER)
        return (None, SENT_FOR_REVIEW) if recorded.pending else (recorded.instance, "created")

    return create


def _stale_delete(rows, kind: str, report) -> None:
    """Rows the reference files no longer hold: deleted through the gate (public ones wait for
    review), unless a person changed them since the loader wrote them."""
    for row in rows:
        if changed_since_load(row):
            report(kind, KEPT)
        elif pending_for(row).filter(action=ChangeRequest.Action.DELETE).exists():
            report(kind, WAITING)
        else:
            recorded = record_delete(instance=row, user=None, via=AuditedChange.Via.LOADER)
            report(kind, SENT_FOR_REVIEW if recorded.pending else "deleted")


def _sources(urls: str, sources: dict[str, Source], where: str) -> list[Source]:
    found = []
    for url in filter(None, (u.strip() for u in urls.split(";"))):
        if url not in sources:
            raise ReferenceDataError(f"{where}: source {url!r} is not in sources.csv.")
        if sources[url] is not None:  # None: deleted in review since the last load
            found.append(sources[url])
    return found


def _force(slug: str, forces: dict[str, Force], where: str) -> Force | None:
    if not slug:
        return None
    if slug not in forces:
        raise ReferenceDataError(f"{where}: unknown force slug {slug!r}.")
    return forces[slug]


def _qualifier(value: int | None, quote: str) -> str:
    if value is None:
        return ReportedFigure.Qualifier.NO_NUMBER
    lowered = quote.lower()
    # "more than 300" (the Met in 2014) is a floor just as "over 300" is.
    if re.search(rf"\b(over|more\s+than)\s+{value}\b", lowered):
        return ReportedFigure.Qualifier.OVER
    if re.search(rf"\bat\s+least\s+{value}\b", lowered):
        return ReportedFigure.Qualifier.AT_LEAST
    return ReportedFigure.Qualifier.EXACT


def _metric(recorded: str, where: str) -> tuple[str, str]:
    if recorded in METRIC_ALIASES:
        return METRIC_ALIASES[recorded]
    head, _, detail = recorded.partition(":")
    if head not in ReportedFigure.Metric.values:
        raise ReferenceDataError(f"{where}: metric {recorded!r} is not a known kind of figure.")
    return head, detail


@transaction.atomic
def reference_data_load(*, fixtures_dir: Path) -> LoadReport:
    """Load the published reference data; all or nothing, and idempotent."""
    with audit(via="loader"):
        return _reference_data_load(fixtures_dir)


def _first_load() -> bool:
    return not (Force.objects.exists() or Source.objects.exists() or FoiReturn.objects.exists())


def _reference_data_load(fixtures_dir: Path) -> LoadReport:
    report = LoadReport()
    reference = fixtures_dir / "reference"
    curation = fixtures_dir / "curation"

    first_load = _first_load()
    create = _loader_create(first_load)
    forces = forces_load(path=reference / "police_forces.csv", tally=report, create=create)
    workforce_load(path=reference / "workforce.csv", forces=forces, tally=report, create=create)

    sources = {}
    for n, row in enumerate(read_csv(curation / "sources.csv"), start=2):
        source, outcome = upsert(
            Source,
            {"url": row["url"]},
            {
                "title": row["title"],
                "publisher": row["publisher"],
                "kind": _choice(row["kind"], Source.Kind, f"sources.csv line {n}"),
                "published_on": _date(row["published_on"]),
                "notes": row["notes"],
            },
            create=create,
        )
        report("sources", outcome)
        sources[row["url"]] = source

    requests, request_by_dataset = {}, {}
    for n, row in enumerate(read_csv(curation / "requests.csv"), start=2):
        where = f"requests.csv line {n}"
        foi_request, outcome = upsert(
            FoiRequest,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "requester": row["requester"],
                "question": row["question"],
                "asked_on": _date(row["asked_on"]),
                "published_on": _date(row["published_on"]),
                "period_label": row["period_label"],
                "period_start": _date(row["period_start"]),
                "period_end": _date(row["period_end"]),
                "year_basis": _choice(row["year_basis"], FoiRequest.YearBasis, where),
                "unit": _choice(row["unit"], Unit, where),
                "counting_unit": row["counting_unit"],
                "forces_asked": _int(row["forces_asked"], where, "forces_asked"),
                "forces_answered": _int(row["forces_answered"], where, "forces_answered"),
                "notes": row["notes"],
            },
            create=create,
        )
        outcome = _set_sources(foi_request, _sources(row["source_urls"], sources, where), outcome)
        report("requests", outcome)
        requests[row["slug"]] = foi_request
        if row["dataset"]:
            request_by_dataset[row["dataset"]] = foi_request
    _dataset_aliases_load(curation / "datasets.csv", requests, request_by_dataset)

    returns = {}
    for n, row in enumerate(read_csv(curation / "returns.csv"), start=2):
        where = f"returns.csv line {n}"
        if row["request"] not in requests:
            raise ReferenceDataError(f"{where}: unknown request {row['request']!r}.")
        if requests[row["request"]] is None or forces.get(row["force"], True) is None:
            report("returns", KEPT)  # its request or force was deleted in review (or waits for it)
            returns[(row["request"], row["force"])] = None
            continue
        lookup = {"request": requests[row["request"]], "force": _force(row["force"], forces, where)}
        values = {
            "status": _choice(row["status"], FoiReturn.Status, where),
            "exemption": row["exemption"] and _choice(row["exemption"], FoiReturn.Exemption, where),
            "received_on": _date(row["received_on"]),
            "reported_total": _int(row["reported_total"], where, "reported_total"),
            "reported_officers": _int(row["reported_officers"], where, "reported_officers"),
            "reported_staff": _int(row["reported_staff"], where, "reported_staff"),
            "notes": row["notes"],
        }
        if first_load:
            # Published reference data is public from the start, on the first load into an empty
            # database only. A return added to the files later comes in as a draft a reviewer
            # approves; later runs leave the review state alone, so a withdrawal stands.
            values |= {"review_state": ReviewState.APPROVED, "approved_at": timezone.now()}
        foi_return, outcome = upsert(FoiReturn, lookup, values, create=create)
        outcome = _set_sources(foi_return, _sources(row["source_urls"], sources, where), outcome)
        report("returns", outcome)
        returns[(row["request"], row["force"])] = foi_return

    _case_lines_load(curation / "case_lines.csv", returns, sources, report, create)
    units = FigureUnits(curation / "figure_units.csv")
    caveats = FigureCaveats(curation / "figure_caveats.csv", sources)
    _figures_load(reference, requests, request_by_dataset, forces, sources, units, caveats, report, create)
    caveats.check_all_used()
    return report


def _dataset_aliases_load(path: Path, requests, request_by_dataset) -> None:
    """Datasets of the reference files that belong to a request under another name
    (fixtures/curation/datasets.csv): one reasoned row each."""
    for n, row in enumerate(read_csv(path), start=2):
        where = f"{path.name} line {n}"
        if row["request"] not in requests:
            raise ReferenceDataError(f"{where}: unknown request {row['request']!r}.")
        if row["dataset"] in request_by_dataset:
            raise ReferenceDataError(f"{where}: dataset {row['dataset']!r} already has a request.")
        if not row["reason"].strip():
            raise ReferenceDataError(f"{where}: give the reason (the sources' words) for the request.")
        request_by_dataset[row["dataset"]] = requests[row["request"]]


class FigureUnits:
    """Our reading of what each published figure counts (fixtures/curation/figure_units.csv).

    A rule names a request and, from general to particular, a metric ('*', its kind such as
    'outcome', or the whole recorded metric), a force and a source; the most particular rule
    that matches a figure gives its unit. A figure no rule covers stops the load.
    """

    def __init__(self, path: Path):
        self.rules = []
        for n, row in enumerate(read_csv(path), start=2):
            where = f"{path.name} line {n}"
            _choice(row["unit"], Unit, where)
            if not row["reason"].strip():
                raise ReferenceDataError(f"{where}: give the reason (the source's words) for the unit.")
            self.rules.append(row)

    def unit_of(self, *, request_slug: str, metric: str, force_slug: str, source_url: str, where: str) -> str:
        best, best_score = None, -1
        head = metric.partition(":")[0]
        for rule in self.rules:
            if rule["request"] != request_slug:
                continue
            if rule["metric"] == metric:
                score = 4
            elif rule["metric"] == head:
                score = 2
            elif rule["metric"] == "*":
                score = 0
            else:
                continue
            for field, value in (("force", force_slug), ("source_url", source_url)):
                if rule[field] == value:
                    score += 1
                elif rule[field] != "*":
                    score = -1
                    break
            if score > best_score:
                best, best_score = rule["unit"], score
        if best is None:
            raise ReferenceDataError(f"{where}: no rule in figure_units.csv gives this figure's unit.")
        return best


class FigureCaveats:
    """Our reading of where a published figure is uncertain or read differently by the sources
    (fixtures/curation/figure_caveats.csv).

    A rule names a request and a force ('' for a national figure), and narrows by metric ('*',
    its kind such as 'outcome', or the whole recorded metric), source ('*' or its address) and
    value ('*' or the number). Every rule must reach a figure; a figure takes the uncertainty and
    the disagreement of the rules that reach it, and two different texts of one kind stop the
    load. A figure the reference notes call "uncertain" must be marked so by a rule.
    """

    def __init__(self, path: Path, sources: dict[str, Source]):
        self.rules = []
        for n, row in enumerate(read_csv(path), start=2):
            where = f"{path.name} line {n}"
            if not (row["uncertain"].strip() or row["disagreement"].strip()):
                raise ReferenceDataError(f"{where}: give the uncertainty or the disagreement, or both.")
            if row["source_url"] != "*" and row["source_url"] not in sources:
                raise ReferenceDataError(f"{where}: source {row['source_url']!r} is not in sources.csv.")
            if row["value"] != "*" and not row["value"].isdigit():
                raise ReferenceDataError(f"{where}: value must be '*' or a whole number.")
            self.rules.append((where, row))
        self.used = set()

    def of(self, *, request_slug: str, row: dict, where: str) -> dict[str, str]:
        found = {"uncertain": "", "disagreement": ""}
        metric = row["metric"]
        for rule_where, rule in self.rules:
            if rule["request"] != request_slug or rule["force"] not in ("*", row["force_slug"]):
                continue
            if rule["metric"] not in ("*", metric, metric.partition(":")[0]):
                continue
            if rule["source_url"] not in ("*", row["source_url"]) or rule["value"] not in ("*", row["value"]):
                continue
            self.used.add(rule_where)
            for kind in found:
                text = rule[kind].strip()
                if text and found[kind] and found[kind] != text:
                    raise ReferenceDataError(f"{where}: two rules of figure_caveats.csv give its {kind}.")
                found[kind] = text or found[kind]
        if "uncertain" in row["notes"].lower() and not found["uncertain"]:
            raise ReferenceDataError(
                f"{where}: its notes call it uncertain, but no rule in figure_caveats.csv says why."
            )
        return found

    def check_all_used(self) -> None:
        for where, _ in self.rules:
            if where not in self.used:
                raise ReferenceDataError(f"{where}: the rule reaches no figure.")


def _case_lines_load(path, returns, sources, report, create) -> None:
    references = set()
    for n, row in enumerate(read_csv(path), start=2):
        where = f"{path.name} line {n}"
        key = (row["request"], row["force"])
        if key in returns and returns[key] is None:
            report("case lines", KEPT)  # its return was deleted in review (or waits for it)
            references.add(row["reference"])
            continue
        foi_return = returns.get(key)
        if foi_return is None:
            raise ReferenceDataError(
                f"{where}: no return for request {row['request']!r} and force "
                f"{row['force'] or '(not stated)'!r} in returns.csv."
            )
        count = row["count"].strip()
        count = int(count) if count.isascii() and count.isdigit() else None
        if count is None or count < 1:
            raise ReferenceDataError(f"{where}: count must be a whole number of at least 1.")
        line, outcome = upsert(
            CaseLine,
            {"reference": row["reference"]},
            {
                "foi_return": foi_return,
                "count": count,
                "role": _choice(row["role"], Role, where),
                "role_wording": row["role_wording"],
                "offence": _choice(row["offence"], Offence, where),
                "offence_wording": row["offence_wording"],
                "system": _choice(row["system"], System, where),
                "system_wording": row["system_wording"],
                "outcome": _choice(row["outcome"], Outcome, where),
                "outcome_wording": row["outcome_wording"],
                "criminal_outcome": _choice(row["criminal_outcome"], CriminalOutcome, where),
                "period_label": row["period_label"],
                "period_start": _date(row["period_start"]),
                "period_end": _date(row["period_end"]),
                "summary": row["summary"],
                "summary_publishable": row["summary_publishable"] == "true",
                "basis": _choice(row["basis"], CaseLine.Basis, where),
                "disagreement": row["disagreement"],
                "notes": row["notes"],
            },
            create=create,
        )
        outcome = _set_sources(line, _sources(row["source_urls"], sources, where), outcome)
        report("case lines", outcome)
        references.add(row["reference"])
    stale = CaseLine.objects.exclude(reference__isnull=True).exclude(reference__in=references)
    _stale_delete(stale.order_by("pk"), "case lines", report)


def _figure_rows(reference: Path, requests, request_by_dataset, report):
    """Every in-scope row of both published files, with the request it belongs to."""
    for n, row in enumerate(read_csv(reference / PARLIAMENT_STREET_FILE), start=2):
        if row["force_slug"] in OUT_OF_SCOPE_SLUGS:
            report("reported figures", "skipped")
            continue
        slug = (
            "cleveland-11288-2019" if row["source_url"] == CLEVELAND_11288_URL else "parliament-street-2019"
        )
        yield f"{PARLIAMENT_STREET_FILE} line {n}", "ps", requests[slug], row
    for name, tag in ((OTHER_STUDIES_FILE, "other"), (ADDITIONAL_FILE, "add")):
        for n, row in enumerate(read_csv(reference / name), start=2):
            where = f"{name} line {n}"
            if row["dataset"] not in request_by_dataset:
                raise ReferenceDataError(
                    f"{where}: dataset {row['dataset']!r} has no request in requests.csv or datasets.csv."
                )
            yield where, tag, request_by_dataset[row["dataset"]], row


def _figures_load(
    reference, requests, request_by_dataset, forces, sources, units, caveats, report, create
) -> None:
    references = set()
    for where, tag, foi_request, row in _figure_rows(reference, requests, request_by_dataset, report):
        # A figure's identity is its content: the files carry no ids, and row numbers move.
        digest = hashlib.sha1("\x1f".join(row.values()).encode()).hexdigest()[:16]
        key = f"{tag}-{digest}"
        if key in references:
            raise ReferenceDataError(f"{where}: the same row appears twice.")
        references.add(key)
        if row["source_url"] not in sources:
            raise ReferenceDataError(f"{where}: source {row['source_url']!r} is not in sources.csv.")
        metric, detail = _metric(row["metric"], where)
        force_gone = forces.get(row["force_slug"], True) is None
        if foi_request is None or sources[row["source_url"]] is None or force_gone:
            if foi_request is not None:
                caveats.of(request_slug=foi_request.slug, row=row, where=where)  # the rule is still used
            report("reported figures", KEPT)  # what it belongs to was deleted in review
            continue
        value = _int(row["value"], where)
        _, outcome = upsert(
            ReportedFigure,
            {"reference": key},
            {
                "request": foi_request,
                "force": _force(row["force_slug"], forces, where),
                "scope": row["force"],
                "metric": metric,
                "detail": detail,
                "metric_as_recorded": row["metric"],
                "unit": units.unit_of(
                    request_slug=foi_request.slug,
                    metric=row["metric"],
                    force_slug=row["force_slug"],
                    source_url=row["source_url"],
                    where=where,
                ),
                "value": value,
                "qualifier": _qualifier(value, row["quote"]),
                "role_wording": row["role"],
                "period_label": row["period"],
                "quote": row["quote"],
                "source": sources[row["source_url"]],
                "notes": row["notes"],
                **caveats.of(request_slug=foi_request.slug, row=row, where=where),
            },
            create=create,
        )
        report("reported figures", outcome)
    stale = ReportedFigure.objects.exclude(reference__in=references)
    _stale_delete(stale.order_by("pk"), "reported figures", report)


# Spreadsheet imports, rollbacks and review


class ImportRefused(Exception):
    """An import that must not be written (its file was imported already, or the data moved)."""


def _already_imported_message(batch: ImportBatch) -> str:
    by = f", by {batch.imported_by}" if batch.imported_by else ""
    when = timezone.localtime(batch.imported_at).strftime("%-d %B %Y %H:%M")
    return (
        f"This file was already imported (import {batch.pk}, {when}{by}). Nothing was written. "
        f"To import it again, roll back import {batch.pk} first."
    )


def import_duplicate_check(*, sha256: str) -> None:
    """Refuse a file whose exact bytes were imported before and not rolled back."""
    batch = ImportBatch.objects.filter(file_sha256=sha256, state=ImportBatch.State.IMPORTED).first()
    if batch is not None:
        raise ImportRefused(_already_imported_message(batch))


def foi_return_import(
    *, plan: ImportPlan, user=None, via: str = ImportBatch.Via.ADMIN, progress=None
) -> ImportBatch:
    """Write a checked import plan as one batch of draft returns and lines; all or nothing.

    Raises ImportRefused if the file was imported already or the database no longer allows the
    plan (another change got there first); nothing is written then.
    """
    if plan.errors:
        raise ImportRefused("The file has row errors; nothing was written.")
    spreadsheet = plan.spreadsheet
    try:
        with transaction.atomic():
            import_duplicate_check(sha256=spreadsheet.sha256)
            batch = ImportBatch.objects.create(
                request=plan.foi_request,
                file_name=spreadsheet.name[: ImportBatch._meta.get_field("file_name").max_length],
                file_sha256=spreadsheet.sha256,
                file_size=spreadsheet.size,
                rows=len(spreadsheet.rows),
                via=via,
                imported_by=user if user is not None and user.pk else None,
                imported_at=timezone.now(),
            )
            with audit(via="import", import_batch=batch, user=user):
                _plan_write(plan, batch, progress, user)
    except IntegrityError as error:
        duplicate = ImportBatch.objects.filter(
            file_sha256=spreadsheet.sha256, state=ImportBatch.State.IMPORTED
        ).first()
        if duplicate is not None:
            raise ImportRefused(_already_imported_message(duplicate)) from error
        raise ImportRefused(
            "Nothing was written: the request's returns changed while the file was being imported. "
            "Check them in the admin and import the file again."
        ) from error
    return batch


# Lines are written in batches of COPY: one statement per batch for the lines, their sources,
# their history rows and the history's sources, so the rollup triggers run once per batch and
# no per-line SQL is built. Validation happened when the plan was made (the models' rules);
# the database's constraints still check every row.
IMPORT_WRITE_BATCH = 10_000


def _plan_write(plan: ImportPlan, batch: ImportBatch, progress, user=None) -> None:
    sources = {source.url: source for source in Source.objects.filter(url__in=_plan_urls(plan))}
    for url in _plan_urls(plan):
        if url not in sources:
            planned = next(r for r in plan.returns if url in r.source_urls)
            sources[url] = Source.objects.create(
                url=url,
                title=f"Reply from {planned.force_name} to “{plan.foi_request.title}”"[:300],
                publisher=planned.force.name if planned.force else "Not stated",
                kind=Source.Kind.FOI_RESPONSE,
                notes=f"Created by import {batch.pk} ({batch.file_name}).",
                import_batch=batch,
            )
    writer = _LineWriter(batch=batch, user=user)
    done, total = 0, plan.lines
    for planned in plan.returns:
        foi_return = FoiReturn(
            request=plan.foi_request,
            force=planned.force,
            status=planned.values.get("status", FoiReturn.Status.ANSWERED),
            exemption=planned.values.get("exemption", ""),
            received_on=planned.values.get("received_on"),
            reported_total=planned.values.get("reported_total"),
            import_batch=batch,
        )
        foi_return.save()
        if planned.source_urls:
            foi_return.sources.set([sources[url] for url in planned.source_urls])
        for planned_line in planned.lines:
            writer.add(
                foi_return.pk, planned_line.values, [sources[url].pk for url in planned_line.source_urls]
            )
            if len(writer) == IMPORT_WRITE_BATCH:
                done += writer.flush()
                if progress:
                    progress(done, total)
    if len(writer):
        done += writer.flush()
        if progress:
            progress(done, total)


def _copy_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """COPY rows (tuples in `columns` order) into the model's table, as CSV.

    None is written as an empty field, which COPY reads as NULL except in the columns that cannot
    be NULL (FORCE_NOT_NULL), where it is the empty string a blank text field holds.
    """
    if not rows:
        return
    data = io.StringIO()
    csv.writer(data, lineterminator="\n").writerows(rows)
    data.seek(0)
    fields = {field.column: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    not_null = ", ".join(quote(column) for column in columns if not fields[column].null)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(column) for column in columns)}) "
            f"FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({not_null}))",
            data,
        )


def _ids(model, n: int) -> list[int]:
    """n new primary keys from the model's own sequence (so COPY can name them)."""
    if not n:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, n]
        )
        return [row[0] for row in cursor.fetchall()]


class _LineWriter:
    """New lines of one import, written a batch at a time with their sources and history.

    Each line gets exactly the rows a save() inside `audit(via="import")` would leave: the line,
    its sources, one "+" history row (via import, the batch, the user) and that row's sources.
    """

    def __init__(self, *, batch: ImportBatch, user):
        self.batch_id = batch.pk
        self.user_id = user.pk if user is not None and user.pk else None
        self.fields = [
            field
            for field in CaseLine._meta.concrete_fields
            if not field.primary_key
            and not field.generated
            and field.attname not in {"foi_return_id", "import_batch_id"}
        ]
        self.defaults = {field.attname: field.get_default() for field in self.fields}
        self.attnames = {field.name: field.attname for field in self.fields}
        self.columns = ["id", "foi_return_id", "import_batch_id"] + [field.column for field in self.fields]
        self.History = CaseLine.history.model
        self.tracked = {field.attname for field in self.History.tracked_fields}
        self.HistorySources = apps.get_model("cases", "HistoricalCaseLine_sources")
        self.pending: list[tuple[int, dict, list[int]]] = []

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, foi_return_id: int, values: dict, source_ids: list[int]) -> None:
        attributes = dict(self.defaults)
        for name, value in values.items():
            attributes[self.attnames[name]] = value
        self.pending.append((foi_return_id, attributes, source_ids))

    def flush(self) -> int:
        pending, self.pending = self.pending, []
        line_ids = _ids(CaseLine, len(pending))
        names = [field.attname for field in self.fields]
        rows = [
            (line_id, foi_return_id, self.batch_id, *(attributes[name] for name in names))
            for line_id, (foi_return_id, attributes, _) in zip(line_ids, pending, strict=True)
        ]
        _copy_rows(CaseLine, self.columns, rows)
        cites = [
            (line_id, source_id)
            for line_id, (_, _, source_ids) in zip(line_ids, pending, strict=True)
            for source_id in source_ids
        ]
        cite_ids = _ids(CaseLine.sources.through, len(cites))
        _copy_rows(
            CaseLine.sources.through,
            ["id", "caseline_id", "source_id"],
            [(cite_id, *cite) for cite_id, cite in zip(cite_ids, cites, strict=True)],
        )
        # History: the tracked columns as written, then who, when and how.
        history_ids = _ids(self.History, len(pending))
        columns = ["id", "foi_return_id", "import_batch_id", *names]
        tracked = [name for name in columns if name in self.tracked]
        positions = [columns.index(name) for name in tracked]
        when = timezone.now()
        history_rows = [
            (history_id, *(row[i] for i in positions), when, "+", self.user_id, AuditedChange.Via.IMPORT)
            for history_id, row in zip(history_ids, rows, strict=True)
        ]
        _copy_rows(
            self.History,
            ["history_id", *tracked, "history_date", "history_type", "history_user_id", "via"],
            history_rows,
        )
        history_of = dict(zip(line_ids, history_ids, strict=True))
        _copy_rows(
            self.HistorySources,
            ["id", "caseline_id", "source_id", "history_id"],
            [
                (cite_id, line_id, source_id, history_of[line_id])
                for cite_id, (line_id, source_id) in zip(cite_ids, cites, strict=True)
            ],
        )
        return len(pending)


def _plan_urls(plan: ImportPlan) -> list[str]:
    urls = []
    for planned in plan.returns:
        urls += [url for url in planned.source_urls if url not in urls]
    return urls
