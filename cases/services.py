"""Writes to cases: loading the published reference data (and, later, imports)."""

import hashlib
import re
from collections import Counter
from datetime import date
from pathlib import Path

from django.db import transaction

from cases.models import (
    CaseLine,
    CriminalOutcome,
    FoiRequest,
    FoiReturn,
    Offence,
    Outcome,
    ReportedFigure,
    Role,
    Source,
    System,
)
from forces.models import Force
from forces.services import ReferenceDataError, forces_load, read_csv, upsert, workforce_load

PARLIAMENT_STREET_FILE = "foi_2019_parliament_street.csv"
OTHER_STUDIES_FILE = "other_police_data_misuse_foi.csv"
# HMRC is not a police force: its rows ride along in the 2019 file and are left out on purpose.
OUT_OF_SCOPE_SLUGS = {"hmrc"}
# Cleveland published its own reply to a request worded like Parliament Street's; the link is
# not confirmed, so its rows belong to a request of their own.
CLEVELAND_11288_URL = (
    "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/2019/october/11288---computer-misuse/"
)
METRIC_ALIASES = {"outcome:dismissed": ("dismissed", "")}


class LoadReport:
    """Counts what the load created, updated, left unchanged, deleted or skipped, per kind."""

    def __init__(self):
        self.counts: dict[str, Counter] = {}

    def __call__(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += n

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] or c["deleted"] for c in self.counts.values())

    def lines(self) -> list[str]:
        order = ("created", "updated", "unchanged", "deleted", "skipped")
        return [
            f"{kind}: " + ", ".join(f"{counter[o]} {o}" for o in order if counter[o])
            for kind, counter in self.counts.items()
        ]


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value.strip() else None


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


def _choice(value: str, choices, where: str) -> str:
    if value not in choices.values:
        raise ReferenceDataError(f"{where}: {value!r} is not one of {', '.join(choices.values)}.")
    return value


def _set_sources(row, wanted: list[Source]) -> bool:
    current = set(row.sources.values_list("pk", flat=True))
    if current == {s.pk for s in wanted}:
        return False
    row.sources.set(wanted)
    return True


def _sources(urls: str, sources: dict[str, Source], where: str) -> list[Source]:
    found = []
    for url in filter(None, (u.strip() for u in urls.split(";"))):
        if url not in sources:
            raise ReferenceDataError(f"{where}: source {url!r} is not in sources.csv.")
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
    if re.search(rf"\bover {value}\b", lowered):
        return ReportedFigure.Qualifier.OVER
    if re.search(rf"\bat least {value}\b", lowered):
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
    report = LoadReport()
    reference = fixtures_dir / "reference"
    curation = fixtures_dir / "curation"

    forces = forces_load(path=reference / "police_forces.csv", tally=report)
    workforce_load(path=reference / "workforce.csv", forces=forces, tally=report)

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
        )
        report("sources", outcome)
        sources[source.url] = source

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
                "counting_unit": row["counting_unit"],
                "forces_asked": _int(row["forces_asked"]),
                "forces_answered": _int(row["forces_answered"]),
                "notes": row["notes"],
            },
        )
        if _set_sources(foi_request, _sources(row["source_urls"], sources, where)) and outcome == "unchanged":
            outcome = "updated"
        report("requests", outcome)
        requests[foi_request.slug] = foi_request
        if row["dataset"]:
            request_by_dataset[row["dataset"]] = foi_request

    returns = {}
    for n, row in enumerate(read_csv(curation / "returns.csv"), start=2):
        where = f"returns.csv line {n}"
        if row["request"] not in requests:
            raise ReferenceDataError(f"{where}: unknown request {row['request']!r}.")
        foi_return, outcome = upsert(
            FoiReturn,
            {"request": requests[row["request"]], "force": _force(row["force"], forces, where)},
            {
                "status": _choice(row["status"], FoiReturn.Status, where),
                "exemption": row["exemption"] and _choice(row["exemption"], FoiReturn.Exemption, where),
                "received_on": _date(row["received_on"]),
                "notes": row["notes"],
            },
        )
        if _set_sources(foi_return, _sources(row["source_urls"], sources, where)) and outcome == "unchanged":
            outcome = "updated"
        report("returns", outcome)
        returns[(row["request"], row["force"])] = foi_return

    _case_lines_load(curation / "case_lines.csv", returns, sources, report)
    _figures_load(reference, requests, request_by_dataset, forces, sources, report)
    return report


def _case_lines_load(path, returns, sources, report) -> None:
    references = set()
    for n, row in enumerate(read_csv(path), start=2):
        where = f"{path.name} line {n}"
        foi_return = returns.get((row["request"], row["force"]))
        if foi_return is None:
            raise ReferenceDataError(
                f"{where}: no return for request {row['request']!r} and force "
                f"{row['force'] or '(not stated)'!r} in returns.csv."
            )
        count = _int(row["count"])
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
        )
        if _set_sources(line, _sources(row["source_urls"], sources, where)) and outcome == "unchanged":
            outcome = "updated"
        report("case lines", outcome)
        references.add(line.reference)
    stale = CaseLine.objects.exclude(reference__isnull=True).exclude(reference__in=references)
    report("case lines", "deleted", stale.delete()[0])


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
    for n, row in enumerate(read_csv(reference / OTHER_STUDIES_FILE), start=2):
        where = f"{OTHER_STUDIES_FILE} line {n}"
        if row["dataset"] not in request_by_dataset:
            raise ReferenceDataError(f"{where}: dataset {row['dataset']!r} has no request in requests.csv.")
        yield where, "other", request_by_dataset[row["dataset"]], row


def _figures_load(reference, requests, request_by_dataset, forces, sources, report) -> None:
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
        value = _int(row["value"])
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
                "value": value,
                "qualifier": _qualifier(value, row["quote"]),
                "role_wording": row["role"],
                "period_label": row["period"],
                "quote": row["quote"],
                "source": sources[row["source_url"]],
                "notes": row["notes"],
            },
        )
        report("reported figures", outcome)
    stale = ReportedFigure.objects.exclude(reference__in=references)
    report("reported figures", "deleted", stale.delete()[0])
