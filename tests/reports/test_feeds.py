"""Atom feeds: new published figures (all, and per force) and new releases, as the public pages show them."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.db.models import Max

from cases.models import FoiRequest, FoiReturn, ReportedFigure, ReviewState
from cases.publishing import change_request_approve, record_save
from forces.models import Force
from reports.feeds import FEED_ENTRIES, changelog_summary
from reports.models import Release

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ["/figures/feed.atom", "/forces/surrey/feed.atom", "/releases/feed.atom"]
# The most queries each feed may make: the version (for its ETag), the force, the entries.
QUERIES = {"/figures/feed.atom": 2, "/forces/surrey/feed.atom": 3, "/releases/feed.atom": 2}
# Surrey's total in Parliament Street 2019, as ITPro published it (the reference data's key).
SURREY_TOTAL_ITPRO = "ps-28d0fb59f997f2ef"
# ITPro's "majority" of Surrey's cases were email misuse: a figure with no number.
SURREY_EMAIL_ITPRO = "ps-eb233ae8be012fed"


def feed(client, url: str, max_queries: int, django_assert_max_num_queries) -> ET.Element:
    with django_assert_max_num_queries(max_queries):
        response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)


def entries(root: ET.Element) -> list[dict]:
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link[@rel='alternate']").get("href"),
            "id": entry.findtext(f"{ATOM}id"),
            "published": entry.findtext(f"{ATOM}published"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "summary": entry.findtext(f"{ATOM}summary"),
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def history_dates(figure: ReportedFigure) -> tuple[str, str]:
    """When the figure reached the live table, and its latest approved change, as the feed writes them."""
    rows = ReportedFigure.history.filter(id=figure.pk)
    first = rows.order_by("history_date").first().history_date
    return first.isoformat(), rows.aggregate(last=Max("history_date"))["last"].isoformat()


@pytest.fixture
def get_feed(client, django_assert_max_num_queries):
    def get(url: str) -> ET.Element:
        # A force without figures costs what Surrey's does.
        return feed(client, url, QUERIES.get(url, 3), django_assert_max_num_queries)

    return get


@pytest.fixture
def people():
    """An editor who proposes a figure and a reviewer who approves it (four eyes)."""
    editor = User.objects.create_user("feed-editor")
    editor.groups.add(Group.objects.get(name="Editor"))
    reviewer = User.objects.create_user("feed-reviewer")
    reviewer.groups.add(Group.objects.get(name="Reviewer"))
    return editor, reviewer


def new_figure(**values) -> ReportedFigure:
    surrey_total = ReportedFigure.objects.get(reference=SURREY_TOTAL_ITPRO)
    fields = {
        "request": surrey_total.request,
        "force": surrey_total.force,
        "reference": "test-feed-figure",
        "scope": "Surrey Police",
        "metric": ReportedFigure.Metric.DISMISSED,
        "metric_as_recorded": "dismissed",
        "unit": "people_disciplined",
        "value": 12,
        "qualifier": ReportedFigure.Qualifier.AT_LEAST,
        "period_label": "FY2017/18-FY2018/19",
        "quote": "At least 12 were dismissed.",
        "source": surrey_total.source,
    }
    return ReportedFigure(**(fields | values))


# --- What an entry says ------------------------------------------------------------------------


def test_force_feed_entry_is_the_figure_as_the_pages_show_it(get_feed):
    figure = ReportedFigure.objects.get(reference=SURREY_TOTAL_ITPRO)
    published, updated = history_dates(figure)
    found = {e["id"]: e for e in entries(get_feed("/forces/surrey/feed.atom"))}
    entry = found[f"tag:testserver,2026:figures/{SURREY_TOTAL_ITPRO}"]
    assert entry == {
        "title": "Surrey Police: 50 people disciplined — cases (total), FY2017/18-FY2018/19 — "
        "Parliament Street, FY2017/18–FY2018/19",
        "link": f"http://testserver/forces/surrey/#figure-{figure.pk}",
        "id": f"tag:testserver,2026:figures/{SURREY_TOTAL_ITPRO}",
        "published": published,
        "updated": updated,
        "summary": "<p>“Over two financial years, the Surrey police force recorded 50 individual cases "
        "of IT abuse, with the majority of the incidents relating to misuse of email.”</p>"
        "<p>Cases (total): 50 (people disciplined), FY2017/18-FY2018/19. Source: "
        '<a href="https://www.itpro.com/computer-misuse-act/34783/237-police-officers-disciplined-over-'
        'computer-misuse">ITPro</a>, “237 police officers disciplined over computer misuse”.</p>'
        '<p>Study: <a href="http://testserver/requests/parliament-street-2019/">Parliament Street: '
        "police officers and staff disciplined for computer misuse (2019)</a>.</p>",
    }


def test_a_figure_with_no_number_says_so_never_zero(get_feed):
    found = {e["id"]: e for e in entries(get_feed("/forces/surrey/feed.atom"))}
    entry = found[f"tag:testserver,2026:figures/{SURREY_EMAIL_ITPRO}"]
    assert entry["title"] == (
        "Surrey Police: people disciplined, no number given — offence: email, FY2017/18-FY2018/19 — "
        "Parliament Street, FY2017/18–FY2018/19"
    )
    assert "Offence: email: no number given (people disciplined)" in entry["summary"]
    assert (
        "<p>no number given; &#x27;majority&#x27; = more than 25 of 50 if taken literally, which is not "
        "confirmed by the other sources (35 = Niche OR email)</p>"
    ) in entry["summary"]


def test_the_entry_links_to_the_figures_row_on_its_force_page(client):
    figure = ReportedFigure.objects.get(reference=SURREY_TOTAL_ITPRO)
    page = client.get("/forces/surrey/").content.decode()
    assert re.search(rf'<tr data-figure="{figure.pk}"[^>]*>\s*<th scope="row" id="figure-{figure.pk}">', page)


def test_a_national_figure_links_to_its_row_on_its_studys_page(client, get_feed, people):
    editor, reviewer = people
    national = new_figure(force=None, scope="All responding forces", quote="At least 12 were dismissed.")
    recorded = record_save(instance=national, user=editor)
    figure = change_request_approve(change_request=recorded.change_request, user=reviewer)
    first = entries(get_feed("/figures/feed.atom"))[0]
    assert first["title"].startswith("All responding forces: at least 12 people disciplined — dismissed")
    assert first["link"] == f"http://testserver/requests/parliament-street-2019/#figure-{figure.pk}"
    page = client.get("/requests/parliament-street-2019/").content.decode()
    assert f'id="figure-{figure.pk}"' in page


# --- Which figures, in which order ----------------------------------------------------------


def test_figures_feed_is_the_newest_figures_first_capped(get_feed):
    found = entries(get_feed("/figures/feed.atom"))
    newest = list(
        ReportedFigure.objects.order_by("-id").values_list("reference", flat=True)[:FEED_ENTRIES]
    )  # the loader writes figures in order, so the newest rows became public last
    assert [e["id"] for e in found] == [f"tag:testserver,2026:figures/{ref}" for ref in newest]
    assert [e["published"] for e in found] == sorted((e["published"] for e in found), reverse=True)


def test_force_feed_holds_only_that_force(get_feed):
    found = entries(get_feed("/forces/surrey/feed.atom"))
    surrey = ReportedFigure.objects.filter(force__slug="surrey")
    assert 0 < surrey.count() <= FEED_ENTRIES
    assert sorted(e["id"] for e in found) == sorted(
        f"tag:testserver,2026:figures/{ref}" for ref in surrey.values_list("reference", flat=True)
    )
    assert all(e["link"].startswith("http://testserver/forces/surrey/#figure-") for e in found)
    assert all(e["title"].startswith("Surrey Police: ") for e in found)


def test_unknown_force_feed_is_404(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert client.get("/forces/atlantis/feed.atom").status_code == 404


def test_a_force_with_no_figures_has_an_empty_valid_feed(get_feed):
    force = Force.objects.exclude(reported_figures__isnull=False).first()
    root = get_feed(f"/forces/{force.slug}/feed.atom")
    assert root.findtext(f"{ATOM}title") == f"Misuse Tracker: new published figures for {force.name}"
    assert entries(root) == []


# --- Only what the public pages show ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, qualifier, said",
    [
        (12, "at_least", "at least 12 people disciplined"),
        (1200, "over", "over 1,200 people disciplined"),
        (None, "no_number", "people disciplined, no number given"),
    ],
)
def test_a_figure_waiting_for_review_is_absent_until_approved(
    client, get_feed, people, value, qualifier, said
):
    editor, reviewer = people
    before = {url: client.get(url).content for url in FEEDS[:2]}
    recorded = record_save(instance=new_figure(value=value, qualifier=qualifier), user=editor)
    assert recorded.pending
    for url, content in before.items():
        assert client.get(url).content == content, url

    figure = change_request_approve(change_request=recorded.change_request, user=reviewer)
    approved_at = ReportedFigure.history.get(id=figure.pk).history_date.isoformat()
    for url in FEEDS[:2]:
        root = get_feed(url)
        first = entries(root)[0]
        assert first["title"] == (
            f"Surrey Police: {said} — dismissed, FY2017/18-FY2018/19 — Parliament Street, FY2017/18–FY2018/19"
        )
        assert first["id"] == "tag:testserver,2026:figures/test-feed-figure"
        assert first["published"] == first["updated"] == approved_at
        assert root.findtext(f"{ATOM}updated") == approved_at


def test_a_draft_return_leaves_the_feeds_as_they_were(client):
    before = {url: client.get(url).content for url in FEEDS[:2]}
    foi_request = FoiRequest.objects.create(
        slug="feed-draft-study",
        title="A draft study",
        period_label="2024",
        year_basis=FoiRequest.YearBasis.CALENDAR,
        counting_unit="people disciplined",
    )
    draft = FoiReturn.objects.create(
        request=foi_request, force=Force.objects.get(slug="surrey"), status=FoiReturn.Status.ANSWERED
    )
    draft.lines.create(count=7)
    assert draft.review_state == ReviewState.DRAFT
    for url, content in before.items():
        assert client.get(url).content == content, url


def test_a_pending_change_shows_the_approved_value_until_approved(client, get_feed, people):
    editor, reviewer = people
    figure = ReportedFigure.objects.get(reference=SURREY_TOTAL_ITPRO)
    published, _ = history_dates(figure)
    figure.value = 51
    recorded = record_save(instance=figure, user=editor)
    entry_id = f"tag:testserver,2026:figures/{SURREY_TOTAL_ITPRO}"

    def entry():
        return {e["id"]: e for e in entries(get_feed("/forces/surrey/feed.atom"))}[entry_id]

    assert entry()["title"].startswith("Surrey Police: 50 people disciplined")
    change_request_approve(change_request=recorded.change_request, user=reviewer)
    changed = entry()
    assert changed["title"].startswith("Surrey Police: 51 people disciplined")
    assert changed["published"] == published
    assert changed["updated"] == history_dates(figure)[1] > published


# --- Releases ---------------------------------------------------------------------------------


def release(number: str, cut_at: datetime, **values) -> Release:
    return Release.objects.create(
        number=number,
        cut_at=cut_at,
        dataset_version="20261101.1.1",
        schema=f"release_{number.replace('.', '_')}",
        **values,
    )


def test_releases_feed_lists_each_release_with_its_changes(get_feed):
    first = release(
        "2026.11.1",
        datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
        note="The first citable release.",
        changelog={"figures": {"added": 272}},
    )
    release(
        "2026.12.1",
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        note="Kent's reply & two corrections.",
        previous=first,
        changelog={"figures": {"added": 3, "changed": 2, "withdrawn": 0}, "lines": {"added": 1204}},
    )
    root = get_feed("/releases/feed.atom")
    assert root.findtext(f"{ATOM}title") == "Misuse Tracker: releases"
    assert root.findtext(f"{ATOM}id") == "tag:testserver,2026:feeds/releases"
    assert root.findtext(f"{ATOM}updated") == "2026-12-01T09:30:00+00:00"
    assert entries(root) == [
        {
            "title": "Release 2026.12.1",
            "link": "http://testserver/releases/2026.12.1/",
            "id": "tag:testserver,2026:releases/2026.12.1",
            "published": "2026-12-01T09:30:00+00:00",
            "updated": "2026-12-01T09:30:00+00:00",
            "summary": "<p>Kent&#x27;s reply &amp; two corrections.</p><p>Since the previous release: "
            "published figures 3 added, 2 changed, 0 withdrawn; case lines 1,204 added, changed not stated, "
            "withdrawn not stated.</p>",
        },
        {
            "title": "Release 2026.11.1",
            "link": "http://testserver/releases/2026.11.1/",
            "id": "tag:testserver,2026:releases/2026.11.1",
            "published": "2026-11-01T09:00:00+00:00",
            "updated": "2026-11-01T09:00:00+00:00",
            "summary": "<p>The first citable release.</p><p>In this first release: published figures 272 "
            "added, changed not stated, withdrawn not stated; case lines not stated.</p>",
        },
    ]


@pytest.mark.parametrize(
    "changelog, said",
    [
        ({}, "published figures not stated; case lines not stated"),
        (
            {"figures": {"added": 0, "withdrawn": 4}, "sources": {"added": 2}},
            "published figures 0 added, changed not stated, 4 withdrawn; case lines not stated; "
            "sources 2 added, changed not stated, withdrawn not stated",
        ),
        ({"lines": "n/a"}, "published figures not stated; case lines not stated"),
    ],
)
def test_a_count_the_changelog_does_not_hold_is_not_stated_never_zero(changelog, said):
    assert changelog_summary(Release(changelog=changelog)) == f"In this first release: {said}."


# --- A valid, discoverable, cacheable feed ----------------------------------------------------


@pytest.mark.parametrize("url", FEEDS)
def test_feed_is_atom(get_feed, url):
    release("2026.11.1", datetime(2026, 11, 1, 9, 0, tzinfo=UTC), note="First.")
    root = get_feed(url)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{name}"), name
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Misuse Tracker"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == f"http://testserver{url}"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/")
    found = root.findall(f"{ATOM}entry")
    assert found
    for entry in found:
        for name in ("id", "title", "updated", "summary"):
            assert entry.findtext(f"{ATOM}{name}"), name
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/")
        # RFC 3339 with an offset, as Atom requires
        datetime.fromisoformat(entry.findtext(f"{ATOM}updated")).utcoffset()
    ids = [entry.findtext(f"{ATOM}id") for entry in found]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("tag:testserver,2026:") for i in ids)


@pytest.mark.parametrize(
    "page, feed_url, title",
    [
        ("/", "/figures/feed.atom", "Misuse Tracker: new published figures"),
        ("/figures/", "/figures/feed.atom", "Misuse Tracker: new published figures"),
        (
            "/forces/surrey/",
            "/forces/surrey/feed.atom",
            "Misuse Tracker: new published figures for Surrey Police",
        ),
    ],
)
def test_each_feed_is_discoverable_in_its_pages_head(client, page, feed_url, title):
    html = client.get(page).content.decode()
    head = re.search(r"<head>(.*?)</head>", html, re.S).group(1)
    assert f'<link rel="alternate" type="application/atom+xml" title="{title}" href="{feed_url}">' in head


@pytest.mark.parametrize(
    "page, feed_url", [("/figures/", "/figures/feed.atom"), ("/forces/surrey/", "/forces/surrey/feed.atom")]
)
def test_the_feed_is_linked_where_a_journalist_looks(client, page, feed_url):
    html = client.get(page).content.decode()
    body = html.split("<body>", 1)[1]
    assert re.search(
        rf'<p class="feed"[^>]*>[^<]*<a href="{feed_url}" type="application/atom\+xml">Atom feed</a>', body
    )


@pytest.mark.parametrize("url", FEEDS)
def test_feed_is_cacheable_and_answers_a_repeat_with_304(client, django_assert_max_num_queries, url):
    response = client.get(url)
    assert response["Cache-Control"] == "public, max-age=900"
    assert response["ETag"]
    assert response["Last-Modified"]
    with django_assert_max_num_queries(1):
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, again.content, again["Cache-Control"]) == (304, b"", "public, max-age=900")


def test_a_new_figure_changes_the_etag(client, people):
    editor, reviewer = people
    etag = client.get("/figures/feed.atom")["ETag"]
    recorded = record_save(instance=new_figure(), user=editor)
    change_request_approve(change_request=recorded.change_request, user=reviewer)
    assert client.get("/figures/feed.atom", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_new_release_changes_the_releases_etag(client):
    etag = client.get("/releases/feed.atom")["ETag"]
    release("2026.11.1", datetime(2026, 11, 1, 9, 0, tzinfo=UTC), note="First.")
    assert client.get("/releases/feed.atom", HTTP_IF_NONE_MATCH=etag).status_code == 200
