"""Citable releases: frozen under a number, downloadable forever, and `?release=` reproduces the day."""

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime

import pandas as pd
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection

from cases.models import CaseLine, FoiRequest, FoiReturn, ReportedFigure, ReviewState, Source
from forces.models import Force
from reports import datapackage
from reports.models import Release, ReleaseFile
from reports.releases import ReleaseError, release_cut, release_schemas_sync
from tests.reports.test_one_truth import text

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SITE = "https://tracker.example.org"
DRAFT_WORDING = "DRAFT-ONLY wording that must never be published"

# Pages and downloads whose release reading must equal what they gave the day the release was cut.
DOWNLOADS = [
    "/dashboard/forces.csv",
    "/dashboard/forces.csv?unit=data_breaches",
    "/dashboard/offences.csv?study=parliament-street-2019",
    "/cases.csv?unit=people_disciplined",
    "/figures.csv",
    "/forces.csv",
    "/requests.csv",
]
PAGES = [
    "/",
    "/dashboard/",
    "/dashboard/?region=North%20West",
    "/forces/surrey/",
    "/requests/parliament-street-2019/",
    "/figures/?force=surrey",
    "/cases/?force=dorset&unit=misconduct_allegations",
]


@pytest.fixture
def draft():
    """A draft return holding a line: in no release, ever."""
    request = FoiRequest.objects.get(slug="parliament-street-2019")
    answered = FoiReturn.objects.filter(request=request, force__isnull=False).values("force")
    force = Force.objects.exclude(pk__in=answered).order_by("name").first()
    foi_return = FoiReturn.objects.create(
        request=request, force=force, status=FoiReturn.Status.ANSWERED, review_state=ReviewState.DRAFT
    )
    line = CaseLine.objects.create(foi_return=foi_return, count=987, offence_wording=DRAFT_WORDING)
    # A source only the draft cites.
    line.sources.add(
        Source.objects.create(
            url="https://example.org/draft-only", title=DRAFT_WORDING, publisher="Draft", kind="blog"
        )
    )
    return foi_return


def cut(note="First release.", **kwargs):
    return release_cut(note=note, when=kwargs.pop("when", WHEN), site_url=SITE, **kwargs)


def files(release) -> dict[str, bytes]:
    return {f.name: datapackage.content_of(f) for f in release.files.all()}


def body(response) -> bytes:
    """A response's bytes, streamed or not (the test client closes a stream read to its end)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def main_text(html: str) -> str:
    """What a reader sees of the page's figures: the main content, less the citation and banner."""
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    main = re.sub(r'<section class="cite".*?</section>', "", main, flags=re.S)
    main = re.sub(r'<p class="release-banner".*?</p>', "", main, flags=re.S)
    # The embed code a release's page offers names the release: that is its one difference.
    main = re.sub(r"(&amp;(amp;)?|\?)release=\d{4}\.\d+\.\d+", "", main)
    return text(main)


def change_the_data():
    """After the cut: a figure corrected, a line withdrawn, a return approved with new lines."""
    figure = ReportedFigure.objects.get(
        request__slug="parliament-street-2019",
        force__slug="surrey",
        metric="offence",
        detail="niche_or_email",
    )
    figure.value = 36
    figure.save()
    CaseLine.objects.public().filter(foi_return__force__slug="dorset").order_by("id").first().delete()
    request = FoiRequest.objects.get(slug="parliament-street-2019")
    answered = FoiReturn.objects.filter(request=request, force__isnull=False).values("force")
    force = Force.objects.exclude(pk__in=answered).order_by("-name").first()
    added = FoiReturn.objects.create(
        request=request,
        force=force,
        status=FoiReturn.Status.ANSWERED,
        review_state=ReviewState.APPROVED,
        approved_at=WHEN,
    )
    CaseLine.objects.create(foi_return=added, count=4, role="officer")
    CaseLine.objects.create(foi_return=added, count=2, role="police_staff")
    return figure, added


# --- Cutting ---------------------------------------------------------------------------------


def test_a_release_is_numbered_by_month_and_holds_every_public_row(draft):
    first = cut()
    assert (first.number, first.schema, first.previous) == ("2026.11.1", "release_2026_11_1", None)
    log = first.changelog
    assert log["previous"] is None
    assert log["lines"] == {"added": CaseLine.objects.public().count(), "changed": 0, "withdrawn": 0}
    assert log["figures"]["added"] == ReportedFigure.objects.count()
    assert log["returns"]["added"] == FoiReturn.objects.public().count()
    assert first.counts["cases_caseline"] == CaseLine.objects.public().count()
    second = cut(note="Nothing new.", when=WHEN.replace(day=30))
    assert (second.number, second.previous) == ("2026.11.2", first)
    assert second.changelog["lines"] == {"added": 0, "changed": 0, "withdrawn": 0}
    assert cut(note="December.", when=WHEN.replace(month=12, day=1)).number == "2026.12.1"


def test_no_draft_is_in_a_release(client, draft):
    release = cut()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{release.schema}".cases_caseline WHERE count = 987')
        assert cursor.fetchone()[0] == 0
        cursor.execute(f'SELECT count(*) FROM "{release.schema}".cases_foireturn WHERE id = %s', [draft.id])
        assert cursor.fetchone()[0] == 0
    for name, content in files(release).items():
        assert DRAFT_WORDING.encode() not in content, name
    response = client.get(f"/cases.csv?force={draft.force.slug}&release={release.number}")
    content = body(response)
    assert content.startswith(b"line_id,") and DRAFT_WORDING.encode() not in content


def test_a_release_needs_a_note_and_a_new_number():
    with pytest.raises(ReleaseError, match="A release needs a note"):
        cut(note="  ")
    cut(number="2026.11.7")
    with pytest.raises(ReleaseError, match="Release 2026.11.7 exists already: a release is never replaced."):
        cut(number="2026.11.7")
    with pytest.raises(ReleaseError, match="'26.11' is not a release number"):
        cut(number="26.11")
    assert Release.objects.count() == 1


def test_the_command_cuts_and_says_what_changed():
    out = io.StringIO()
    call_command("cut_release", note="From the command.", site_url=SITE, stdout=out)
    release = Release.objects.get()
    lines = CaseLine.objects.public().count()
    figures = ReportedFigure.objects.count()
    returns = FoiReturn.objects.public().count()
    assert out.getvalue().splitlines()[:4] == [
        f"Release {release.number} cut: /releases/{release.number}/",
        f"  figures: {figures:,} added, 0 changed, 0 withdrawn",
        f"  lines: {lines:,} added, 0 changed, 0 withdrawn",
        f"  returns: {returns:,} added, 0 changed, 0 withdrawn",
    ]


def test_the_changelog_counts_and_names_what_changed_since_the_previous_release():
    first = cut()
    figure, added = change_the_data()
    second = cut(note="Corrections.", when=WHEN.replace(day=24))
    log = second.changelog
    assert log["previous"] == first.number
    assert log["figures"] == {"added": 0, "changed": 1, "withdrawn": 0}
    assert log["lines"] == {"added": 2, "changed": 0, "withdrawn": 1}
    assert log["returns"] == {"added": 1, "changed": 0, "withdrawn": 0}
    assert log["items"]["figures"] == [
        {
            "change": "changed",
            "id": figure.id,
            "label": "Surrey Police · parliament-street-2019 · offence niche_or_email = 36 (exact)",
            "was": "Surrey Police · parliament-street-2019 · offence niche_or_email = 35 (exact)",
        }
    ]
    assert log["items"]["returns"] == [
        {
            "change": "added",
            "id": added.id,
            "label": f"parliament-street-2019 · {added.force.name} · answered",
        }
    ]


# --- Reading a release: the pages and downloads of the day -----------------------------------


def test_every_page_and_download_reads_as_on_the_day_it_was_cut(client):
    before_downloads = {url: body(client.get(url)) for url in DOWNLOADS}
    before_pages = {url: main_text(client.get(url).content.decode()) for url in PAGES}
    release = cut()
    change_the_data()
    changed = 0
    for url in DOWNLOADS:
        pinned = client.get(url + ("&" if "?" in url else "?") + f"release={release.number}")
        assert pinned.status_code == 200, url
        assert body(pinned) == before_downloads[url], url
        changed += body(client.get(url)) != before_downloads[url]
    for url in PAGES:
        pinned = client.get(url + ("&" if "?" in url else "?") + f"release={release.number}")
        assert pinned.status_code == 200, url
        assert pinned["X-Dataset-Version"] == f"release-{release.number}"
        assert main_text(pinned.content.decode()) == before_pages[url], url
    assert changed >= 3  # the live data did change: the release is not just the live data


def test_the_json_download_names_the_release(client):
    release = cut()
    response = client.get(f"/dashboard/forces.json?release={release.number}")
    assert response["X-Release"] == "2026.11.1"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="misuse-tracker_forces_2026-11-1_'
    )
    payload = response.json()
    assert payload["meta"]["dataset_version"] == f"release-{release.number}"
    assert payload["meta"]["permalink"] == f"http://testserver/dashboard/?release={release.number}"


def test_after_a_release_request_the_connection_reads_the_live_data(client):
    release = cut()
    change_the_data()
    client.get(f"/forces/surrey/?release={release.number}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0] == '"$user", public'
    assert "36" in main_text(client.get("/figures/?force=surrey").content.decode())
    # A streamed download reads the release to its last byte, then lets go of it.
    streamed = body(client.get(f"/cases.csv?force=surrey&release={release.number}"))
    assert streamed.count(b"\n") > 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0] == '"$user", public'


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "release=2026.13.9",
            "Release ('release'): '2026.13.9' is not a release. Accepted values: 2026.11.1.",
        ),
        ("release=2026.11.1&release=2026.11.1", "Release ('release'): give one value, not several."),
        (
            "release=<script>",
            "Release ('release'): '&lt;script&gt;' is not a release. Accepted values: 2026.11.1.",
        ),
    ],
)
def test_a_bad_release_is_a_400_that_says_why(client, query, message):
    cut()
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 400
    errors = re.search(
        r'<ul class="error-list" id="filter-errors">(.*?)</ul>', response.content.decode(), re.S
    )
    assert [text(m) for m in re.findall(r"<li>(.*?)</li>", errors.group(1), re.S)] == [text(message)]


def test_a_bad_release_on_the_api_is_a_json_400(client):
    response = client.get("/api/v1/forces/?release=1999.1.1")
    assert response.status_code == 400
    assert response.json() == {
        "errors": ["Release ('release'): '1999.1.1' is not a release. No release has been cut yet."]
    }


def test_a_release_is_read_only(client):
    release = cut()
    response = client.post(f"/dashboard/?release={release.number}")
    assert response.status_code == 400
    assert "a release is read-only; only GET reads one." in response.content.decode()


def test_links_in_a_release_stay_in_it(client):
    release = cut()
    page = client.get(f"/dashboard/?release={release.number}").content.decode()
    assert 'href="/forces/surrey/?release=2026.11.1"' in page
    assert '<input type="hidden" name="release" value="2026.11.1">' in page
    banner = re.search(r'<p class="release-banner".*?</p>', page, re.S).group(0)
    assert text(banner) == (
        "You are reading release 2026.11.1, cut 23 November 2026: the data as it was then. See the live data."
    )
    assert 'href="http://testserver/dashboard/">See the live data' in banner
    assert 'href="/releases/2026.11.1/"' in banner


# --- Citing ----------------------------------------------------------------------------------


def test_cite_this_view_offers_the_release_permalink_apa_and_bibtex(client):
    page = client.get("/dashboard/?unit=data_breaches").content.decode()
    assert "No release has been cut yet: this address shows the live data" in page
    cut()
    page = client.get("/dashboard/?unit=data_breaches").content.decode()
    pinned = "http://testserver/dashboard/?unit=data_breaches&amp;release=2026.11.1"
    assert f'<a href="{pinned}" data-release-permalink>' in page
    apa = text(re.search(r'<p class="citation-apa">(.*?)</p>', page, re.S).group(1))
    assert apa == (
        "Misuse Tracker. (2026). UK police discipline for misusing force IT (Release 2026.11.1) [Data set]. "
        "http://testserver/dashboard/?unit=data_breaches&release=2026.11.1"
    )
    bibtex = text(re.search(r'<pre class="citation-bibtex"><code>(.*?)</code>', page, re.S).group(1))
    assert bibtex.startswith("@misc{misusetracker2026_11_1, author = {{Misuse Tracker}},")
    assert "version = {2026.11.1}" in bibtex
    assert "url = {http://testserver/dashboard/?unit=data_breaches&release=2026.11.1}" in bibtex
    # In the release itself, the citation is the release's.
    pinned_page = client.get("/dashboard/?unit=data_breaches&release=2026.11.1").content.decode()
    assert "Release 2026.11.1, cut 23 November 2026: the data as it was then" in text(pinned_page)


# --- The release's own pages and files --------------------------------------------------------


def test_the_release_page_lists_its_files_with_their_checksums(client, django_assert_max_num_queries):
    release = cut()
    with django_assert_max_num_queries(8):
        page = client.get(f"/releases/{release.number}/").content.decode()
    for kept in release.files.all():
        assert f'href="/releases/2026.11.1/{kept.name}"' in page
        assert f'<code class="hash">{kept.sha256}</code>' in page
    assert "Changes since nothing: the first release" in text(page)
    listing = client.get("/releases/").content.decode()
    assert 'href="/releases/2026.11.1/"' in listing
    assert client.get("/releases.json").json()["releases"][0]["datapackage"] == (
        "http://testserver/releases/2026.11.1/datapackage.json"
    )


def test_a_file_is_served_as_it_was_kept_and_may_be_cached_forever(client):
    release = cut()
    kept = ReleaseFile.objects.get(release=release, name="figures.csv")
    response = client.get("/releases/2026.11.1/figures.csv")
    assert response.status_code == 200
    served = body(response)
    assert hashlib.sha256(served).hexdigest() == kept.sha256
    assert response["Content-Length"] == str(len(served))
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"] == f'"{kept.sha256}"'
    assert (
        client.get("/releases/2026.11.1/figures.csv", HTTP_IF_NONE_MATCH=f'"{kept.sha256}"').status_code
        == 304
    )
    assert client.get("/releases/2026.11.1/nothing.csv").status_code == 404
    assert client.get("/releases/2026.11.9/figures.csv").status_code == 404
    # The data changing later changes nothing in the release's files.
    change_the_data()
    assert body(client.get("/releases/2026.11.1/figures.csv")) == served
    assert client.get("/releases/latest/figures.csv")["Location"] == "/releases/2026.11.1/figures.csv"


def test_the_zip_holds_every_file_and_is_the_same_every_time(client):
    release = cut()
    first = body(client.get(f"/releases/{release.number}.zip"))
    assert body(client.get(f"/releases/{release.number}.zip")) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        members = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    assert members == files(release)


def test_the_data_package_validates_and_every_checksum_holds(tmp_path):
    import frictionless

    release = cut()
    kept = files(release)
    for name, content in kept.items():
        (tmp_path / name).write_bytes(content)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    package = json.loads(kept["datapackage.json"])
    assert package["version"] == "2026.11.1"
    assert package["homepage"] == f"{SITE}/releases/2026.11.1/"
    for resource in package["resources"]:
        assert resource["hash"] == "sha256:" + hashlib.sha256(kept[resource["path"]]).hexdigest()
        for field in resource["schema"]["fields"]:
            assert field.get("description"), (resource["path"], field["name"])
    forces = next(r for r in package["resources"] if r["path"] == "dashboard-forces-people-disciplined.csv")
    cases = next(f for f in forces["schema"]["fields"] if f["name"] == "cases")
    assert cases == {
        "name": "cases",
        "type": "integer",
        "description": "Total people disciplined; empty: not stated (never zero).",
        "unit": "people disciplined",
    }
    assert forces["sameAs"] == f"{SITE}/dashboard/forces.csv?unit=people_disciplined&release=2026.11.1"
    sums = dict(reversed(line.split("  ")) for line in kept["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(kept) - {"SHA256SUMS"}
    assert all(sums[name] == hashlib.sha256(kept[name]).hexdigest() for name in sums)
    assert 'version: "2026.11.1"' in kept["CITATION.cff"].decode()
    assert "date-released: 2026-11-23" in kept["CITATION.cff"].decode()
    # A file changed after the release no longer matches its checksum, and the check says so.
    (tmp_path / "figures.csv").write_bytes(kept["figures.csv"].replace(b"237", b"238"))
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_the_release_reads_into_pandas_with_the_numbers_of_the_day(client):
    before = client.get("/dashboard/forces.csv").content
    release = cut()
    change_the_data()
    released = pd.read_csv(
        io.BytesIO(body(client.get("/releases/2026.11.1/dashboard-forces-people-disciplined.csv")))
    )
    pd.testing.assert_frame_equal(released, pd.read_csv(io.BytesIO(before)))
    surrey = released[(released.force == "surrey") & (released.request == "parliament-street-2019")]
    assert surrey[["cases", "cases_is"]].values.tolist() == [[50, "exact"]]
    studies = pd.read_csv(io.BytesIO(body(client.get("/releases/2026.11.1/requests.csv"))))
    national = studies.set_index("request").loc["parliament-street-2019", "national_total_as_published"]
    assert str(national) == "237"
    assert release.number == "2026.11.1"


# --- Admin and the schema over time -------------------------------------------------------------


def _user(name: str, role: str) -> User:
    user = User.objects.create_user(name, password="a-long-test-password-1")
    user.groups.add(Group.objects.get(name=role))
    return user


def test_a_reviewer_cuts_a_release_in_the_admin_and_an_editor_cannot(client):
    client.force_login(_user("editor", "Editor"))
    assert client.get("/admin/reports/release/cut/").status_code == 403
    assert "Cut a release" not in client.get("/admin/reports/release/").content.decode()
    client.force_login(_user("reviewer", "Reviewer"))
    assert "Cut a release" in client.get("/admin/reports/release/").content.decode()
    refused = client.post("/admin/reports/release/cut/", {"note": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    response = client.post("/admin/reports/release/cut/", {"note": "Cut by a reviewer."}, follow=True)
    release = Release.objects.get()
    assert (release.note, release.cut_by) == ("Cut by a reviewer.", "reviewer")
    assert f"Release {release.number} cut: /releases/{release.number}/" in response.content.decode()
    assert client.post(f"/admin/reports/release/{release.pk}/delete/").status_code == 403


def test_a_release_stays_readable_when_the_live_tables_change():
    release = cut()
    with connection.cursor() as cursor:
        # As if a migration had added a column since the cut, and dropped another.
        cursor.execute(f'ALTER TABLE "{release.schema}".cases_reportedfigure DROP COLUMN notes')
        cursor.execute(f'ALTER TABLE "{release.schema}".cases_reportedfigure ADD COLUMN gone text')
    assert sorted(release_schemas_sync()) == [
        "2026.11.1: cases_reportedfigure.gone dropped",
        "2026.11.1: cases_reportedfigure.notes added (empty)",
    ]
    assert release_schemas_sync() == []


def test_the_api_reads_a_release_and_says_so(client):
    from tests.api.conftest import api, walk

    before_table = api(client, "/api/v1/dashboard/forces/")["results"]
    before_lines = walk(client, "/api/v1/case-lines/?force=dorset&unit=misconduct_allegations&page_size=1")
    release = cut()
    change_the_data()
    pinned = api(client, f"/api/v1/dashboard/forces/?release={release.number}")
    assert pinned["meta"] == {"release": "2026.11.1", "dataset_version": "release-2026.11.1"}
    assert pinned["results"] == before_table
    assert api(client, "/api/v1/dashboard/forces/")["meta"]["release"] is None
    index = api(client, f"/api/v1/?release={release.number}")["endpoints"]
    assert all(address.endswith("?release=2026.11.1") for address in index.values())
    first = api(
        client,
        f"/api/v1/case-lines/?force=dorset&unit=misconduct_allegations&page_size=1&release={release.number}",
    )
    assert "release=2026.11.1" in first["next"]  # the cursor pages stay in the release
    pinned_lines = walk(
        client,
        f"/api/v1/case-lines/?force=dorset&unit=misconduct_allegations&page_size=1&release={release.number}",
    )
    assert pinned_lines == before_lines
    assert (
        walk(client, "/api/v1/case-lines/?force=dorset&unit=misconduct_allegations&page_size=1")
        != before_lines
    )


def test_a_release_page_says_its_true_length(client):
    release = cut()
    response = client.get(f"/figures/?release={release.number}")
    assert int(response["Content-Length"]) == len(response.content)
    assert response.content.rstrip().endswith(b"</html>")


@pytest.mark.parametrize("value", ["%00", "bogus", "2026.11.1%00"])
def test_a_refused_release_keeps_the_site_policy_and_never_fails(client, value):
    cut()
    response = client.get(f"/cases/?release={value}")
    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "is not a release. Accepted values: 2026.11.1." in response.content.decode()


def test_the_citation_file_is_yaml_whatever_the_note_says():
    import yaml

    release = cut(note='A note with "quotes", a backslash C:\\new\\tab and: a colon.')
    cff = yaml.safe_load(files(release)["CITATION.cff"])
    assert cff["abstract"] == 'A note with "quotes", a backslash C:\\new\\tab and: a colon.'
    assert (cff["version"], str(cff["date-released"])) == ("2026.11.1", "2026-11-23")


def test_each_column_has_one_type_in_every_file():
    package = json.loads(files(cut())["datapackage.json"])
    types = {}
    for resource in package["resources"]:
        for field in resource["schema"]["fields"]:
            types.setdefault(field["name"], set()).add(field["type"])
    assert {name: found for name, found in types.items() if len(found) > 1} == {}
    assert types["cases"] == {"integer"} and types["period_start"] == {"date"}


def test_the_live_citation_says_whether_the_data_changed_since_the_release(client):
    cut()
    page = text(client.get("/forces/surrey/").content.decode())
    assert "cite the view in release 2026.11.1 (cut 23 November 2026):" in page
    change_the_data()
    page = text(client.get("/forces/surrey/").content.decode())
    assert "(cut 23 November 2026), which may differ from this page: the data has changed since:" in page


def test_the_api_schema_documents_release_on_every_operation(client):
    schema = client.get("/api/v1/openapi.json").json()
    operations = [op for ops in schema["paths"].values() for op in ops.values()]
    assert operations and all(any(p["name"] == "release" for p in op["parameters"]) for op in operations)
