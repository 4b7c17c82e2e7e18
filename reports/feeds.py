"""Atom feeds of new published figures (all of them, or one force's) and of new releases.

Built on Django's syndication framework. Every entry is written from what the public pages show:
a figure's value as the figures table gives it (`value_display`: "at least 12", "no number
given", never 0 for unknown), its quote and its source, linked to its row on the force page (or,
for a national figure, its study's page). A feed costs two or three small queries; a reader
polling with If-None-Match gets a 304 for one, and proxies may keep it for FEED_MAX_AGE seconds.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from django.contrib.syndication.views import Feed
from django.db.models import Count, Max
from django.http.request import split_domain_port
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition

from cases.models import ReportedFigure
from forces.models import Force
from reports.models import Release
from reports.selectors import dataset_version, newest_figures
from reports.templatetags.figures import lower_first, study_short

FEED_ENTRIES = 50
# Figures and releases change a few times a month: a reader checking every quarter of an hour
# misses nothing that matters, and a proxy may answer for us in between.
FEED_MAX_AGE = 900
# The date in every tag URI (RFC 4151): fixed, so an entry's id never changes once given.
TAG_DATE = "2026"
SITE = "Misuse Tracker"
# Where the releases feed points as its web page: the list of releases.
RELEASES_PAGE = "release-list"


@dataclass(frozen=True)
class Entry:
    title: str  # plain text: the feed escapes it
    link: str  # a path; the framework makes it absolute
    guid: str
    published: datetime
    updated: datetime
    summary: str  # HTML


@dataclass(frozen=True)
class Channel:
    title: str
    subtitle: str
    link: str
    guid: str
    entries: list[Entry]


def tag(request, name: str) -> str:
    """A stable id: 'tag:<this site's host>,2026:<name>' (no port: a tag names a domain)."""
    domain, _ = split_domain_port(request.get_host())
    return f"tag:{domain or 'localhost'},{TAG_DATE}:{name}"


# --- Figures ---------------------------------------------------------------------------------


def figure_title(figure: ReportedFigure) -> str:
    """'Surrey Police: 50 people disciplined — cases (total), FY2017/18-FY2018/19 — Parliament
    Street, FY2017/18–FY2018/19': whom, the value as published with what it counts, what the
    figure is, its period and its study, in the figures table's own words."""
    whom = figure.force.name if figure.force else figure.scope
    counted = lower_first(figure.get_unit_display())
    if figure.value is None:
        said = f"{counted}, {figure.value_display}"
    else:
        said = f"{figure.value_display} {counted}"
    what = lower_first(figure.description) + (f" ({figure.role_wording})" if figure.role_wording else "")
    return f"{whom}: {said} — {what}, {figure.period_label} — {study_short(figure.request)}"


def figure_link(figure: ReportedFigure) -> str:
    """The figure's row on its force's page; a national figure's on its study's page."""
    if figure.force is not None:
        page = reverse("force-detail", args=[figure.force.slug])
    else:
        page = reverse("request-detail", args=[figure.request.slug])
    return f"{page}#figure-{figure.pk}"


def figure_summary(figure: ReportedFigure, *, request) -> str:
    # What the figures table shows under the quote: its notes, uncertainty and disagreement.
    notes = [
        format_html("<p>{}{}</p>", label, text)
        for label, text in (
            ("", figure.notes),
            ("Uncertain: ", figure.uncertain),
            ("Sources differ: ", figure.disagreement),
        )
        if text
    ]
    return format_html(
        '<p>“{}”</p><p>{}{}: {} ({}), {}. Source: <a href="{}">{}</a>, “{}”.</p>{}'
        '<p>Study: <a href="{}">{}</a>.</p>',
        figure.quote,
        figure.description,
        f" ({figure.role_wording})" if figure.role_wording else "",
        figure.value_display,
        lower_first(figure.get_unit_display()),
        figure.period_label,
        figure.source.url,
        figure.source.publisher,
        figure.source.title,
        format_html_join("", "{}", ((note,) for note in notes)),
        request.build_absolute_uri(reverse("request-detail", args=[figure.request.slug])),
        figure.request.title,
    )


def figure_entry(figure: ReportedFigure, *, request) -> Entry:
    return Entry(
        title=figure_title(figure),
        link=figure_link(figure),
        # The reference is the figure's key in the reference data: it survives a reload.
        guid=tag(request, f"figures/{quote(figure.reference, safe='')}"),
        published=figure.became_public,
        updated=figure.last_changed,
        summary=figure_summary(figure, request=request),
    )


# --- Releases --------------------------------------------------------------------------------

CHANGELOG_PARTS = {"figures": "published figures", "lines": "case lines"}
CHANGELOG_ACTIONS = ("added", "changed", "withdrawn")


def changelog_summary(release: Release) -> str:
    """'Since the previous release: published figures 3 added, 1 changed, 0 withdrawn; case lines
    12 added, changed not stated, withdrawn not stated.' A count the changelog does not hold is
    'not stated', never 0."""
    changelog = release.changelog if isinstance(release.changelog, dict) else {}
    parts = []
    for key in [*CHANGELOG_PARTS, *sorted(set(changelog) - set(CHANGELOG_PARTS))]:
        counts = changelog.get(key)
        name = CHANGELOG_PARTS.get(key, key.replace("_", " "))
        if not isinstance(counts, dict):
            parts.append(f"{name} not stated")
            continue
        actions = [*CHANGELOG_ACTIONS, *sorted(set(counts) - set(CHANGELOG_ACTIONS))]
        said = [
            f"{counts[action]:,} {action}" if isinstance(counts.get(action), int) else f"{action} not stated"
            for action in actions
        ]
        parts.append(f"{name} {', '.join(said)}")
    since = "Since the previous release" if release.previous_id else "In this first release"
    return f"{since}: {'; '.join(parts)}."


def release_entry(release: Release, *, request) -> Entry:
    return Entry(
        title=f"Release {release.number}",
        link=release.get_absolute_url(),
        guid=tag(request, f"releases/{quote(release.number, safe='')}"),
        published=release.cut_at,
        updated=release.cut_at,
        summary=format_html("<p>{}</p><p>{}</p>", release.note, changelog_summary(release)),
    )


# --- The feeds -------------------------------------------------------------------------------


class AtomFeed(Feed):
    """A feed whose channel and entries are built once per request by `channel()`.

    The framework keeps one Feed instance for every request, so nothing request-bound is kept on
    `self`: `get_object` returns the Channel and every other method reads from it.
    """

    feed_type = Atom1Feed
    language = "en-GB"
    author_name = SITE

    def channel(self, request, **kwargs) -> Channel:
        raise NotImplementedError

    def get_object(self, request, **kwargs) -> Channel:
        return self.channel(request, **kwargs)

    def title(self, channel: Channel) -> str:
        return channel.title

    def subtitle(self, channel: Channel) -> str:
        return channel.subtitle

    def link(self, channel: Channel) -> str:
        return channel.link

    def feed_guid(self, channel: Channel) -> str:
        return channel.guid

    def items(self, channel: Channel) -> list[Entry]:
        return channel.entries

    def item_title(self, entry: Entry) -> str:
        return entry.title

    def item_description(self, entry: Entry) -> str:
        return entry.summary

    def item_link(self, entry: Entry) -> str:
        return entry.link

    def item_guid(self, entry: Entry) -> str:
        return entry.guid

    def item_pubdate(self, entry: Entry) -> datetime:
        return entry.published

    def item_updateddate(self, entry: Entry) -> datetime:
        return entry.updated


class FiguresFeed(AtomFeed):
    def channel(self, request, **kwargs) -> Channel:
        return Channel(
            title=f"{SITE}: new published figures",
            subtitle="Every figure the sources publish, as it reaches the public pages, newest first.",
            link=reverse("figures"),
            guid=tag(request, "feeds/figures"),
            entries=[figure_entry(figure, request=request) for figure in newest_figures(limit=FEED_ENTRIES)],
        )


class ForceFiguresFeed(AtomFeed):
    def channel(self, request, *, slug: str) -> Channel:
        force = get_object_or_404(Force, slug=slug)
        return Channel(
            title=f"{SITE}: new published figures for {force.name}",
            subtitle=f"Every figure the sources publish for {force.name}, as it reaches the public "
            "pages, newest first.",
            link=reverse("force-detail", args=[force.slug]),
            guid=tag(request, f"feeds/forces/{force.slug}/figures"),
            entries=[
                figure_entry(figure, request=request)
                for figure in newest_figures(force=force, limit=FEED_ENTRIES)
            ],
        )


class ReleasesFeed(AtomFeed):
    def channel(self, request, **kwargs) -> Channel:
        return Channel(
            title=f"{SITE}: releases",
            subtitle="Each numbered, citable release of the approved data, newest first.",
            link=reverse(RELEASES_PAGE),
            guid=tag(request, "feeds/releases"),
            entries=[
                release_entry(release, request=request)
                for release in Release.objects.order_by("-cut_at", "-id")[:FEED_ENTRIES]
            ],
        )


# --- Served: conditional, and cacheable by anyone ----------------------------------------------


def _data_etag(request, **kwargs) -> str:
    # The dataset version changes with every write to the data, drafts included: a reader may
    # fetch an unchanged feed again, never miss a changed one.
    return dataset_version()


def _releases_etag(request, **kwargs) -> str:
    found = Release.objects.aggregate(count=Count("id"), last=Max("id"), at=Max("cut_at"))
    at = found["at"].isoformat() if found["at"] else "none"
    return f"releases-{found['count']}-{found['last']}-{at}"


def _served(feed: Feed, etag):
    return cache_control(public=True, max_age=FEED_MAX_AGE)(condition(etag_func=etag)(feed))


figures_feed = _served(FiguresFeed(), _data_etag)
force_figures_feed = _served(ForceFiguresFeed(), _data_etag)
releases_feed = _served(ReleasesFeed(), _releases_etag)
