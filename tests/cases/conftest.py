"""Users in each admin role, a fresh request to import into, and spreadsheet builders."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.imports import COLUMN_NAMES
from cases.models import FoiRequest

PASSWORD = "a-long-test-password-1"
ROLES = ["viewer", "editor", "reviewer"]


def make_user(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture(autouse=True)
def _import_upload_dir(settings, tmp_path_factory):
    """Uploads waiting for confirmation are kept in a directory of the test's own."""
    settings.IMPORT_UPLOAD_DIR = tmp_path_factory.mktemp("uploads")


@pytest.fixture
def viewer(db):
    return make_user("vera", "Viewer")


@pytest.fixture
def editor(db):
    return make_user("eddie", "Editor")


@pytest.fixture
def reviewer(db):
    return make_user("rita", "Reviewer")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("sue", password=PASSWORD)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def foi_request(db):
    return FoiRequest.objects.create(
        slug="test-study-2024",
        title="Test study 2024",
        period_label="FY2023/24",
        year_basis=FoiRequest.YearBasis.FINANCIAL,
        counting_unit="people disciplined",
    )


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    lines = [",".join(header or COLUMN_NAMES)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def row(**values) -> list[str]:
    return [values.get(column, "") for column in COLUMN_NAMES]


def xlsx_bytes(rows: list[list], header: list[str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header or COLUMN_NAMES)
    for cells in rows:
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


GOOD_ROWS = [
    row(
        force="Met",
        reported_total="5",
        count="2",
        role="officers",
        offence="unauthorised access",
        system="PNC",
        outcome="dismissed",
        period_label="FY2023/24",
        source_urls="https://example.org/met-foi",
    ),
    row(
        force="MPS",
        count="3",
        role="police staff",
        offence="Disclosure",
        system="e-mail",
        outcome="Final written warning",
        criminal_outcome="none",
    ),
    row(
        force="Avon & Somerset", status="refused", exemption="s12", source_urls="https://example.org/met-foi"
    ),
    row(
        force="GMP",
        count="1",
        role="PCSO",
        offence="social media",
        system="social media",
        outcome="sacked",
        criminal_outcome="caution",
        source_urls="https://example.org/met-foi",
    ),
]
