"""The app as deployed: gunicorn with production settings behind a (simulated) TLS proxy.

gunicorn runs in a subprocess with DEBUG off and reaches the test database through a small TCP
relay this test can cut, to see /healthz and the pages answer 503 while the database is away and
recover once it is back.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db

HOST = "tracker.example.org"
BASE_DIR = Path(settings.BASE_DIR)


class Relay:
    """Forwards 127.0.0.1:<port> to the database; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target):
        self.target = target  # ("unix", path) or ("tcp", (host, port))
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _connect(self):
        kind, address = self.target
        upstream = socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET)
        upstream.connect(address)
        return upstream

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = self._connect()
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.up = False
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


def _target(settings_dict):
    host, port = settings_dict["HOST"] or "/var/run/postgresql", int(settings_dict["PORT"] or 5432)
    if host.startswith("/"):
        return ("unix", f"{host}/.s.PGSQL.{port}")
    return ("tcp", (host, port))


def production_env(database_url: str, static_root: Path) -> dict:
    unset = {"DEBUG", "DATABASE_URL", "DATABASE_REPLICA_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return env | {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO",
        "STATIC_ROOT": str(static_root),
        "WEB_CONCURRENCY": "2",
        "CONN_MAX_AGE": "600",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        connection.ensure_connection()
        settings_dict = connection.settings_dict
        relay = Relay(_target(settings_dict))
        password = settings_dict.get("PASSWORD") or ""
        database_url = (
            f"postgres://{settings_dict['USER']}:{password}@127.0.0.1:{relay.port}/{settings_dict['NAME']}"
        )
    static_root = tmp_path_factory.mktemp("static")
    last_log = committed("SELECT coalesce(max(id), 0) FROM reports_exportlog")[0]
    env = production_env(database_url, static_root)
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], env=env, check=True, cwd=BASE_DIR)
    subprocess.run(
        [*manage, "shell", "-c", _CREATE_ADMIN], env=env, check=True, cwd=BASE_DIR, capture_output=True
    )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "misuse_tracker.wsgi", "--bind", f"127.0.0.1:{port}"],
        env=env | {"PORT": str(port)},
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(_request(base + "/healthz"), timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # a slow first answer under load
            time.sleep(0.2)
    try:
        yield base, relay
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
        relay.restore()
        subprocess.run(
            [
                *manage,
                "shell",
                "-c",
                "from django.contrib.auth.models import User; User.objects.filter(username='opal').delete()",
            ],
            env=env,
            cwd=BASE_DIR,
            capture_output=True,
        )
        relay.close()
        committed("DELETE FROM reports_exportlog WHERE id > %s", [last_log])
        print(output[-4000:])


_CREATE_ADMIN = (
    "from django.contrib.auth.models import User; "
    "User.objects.filter(username='opal').delete(); "
    "User.objects.create_superuser('opal', password='a-long-test-password-1')"
)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def _request(url, *, https=True, headers=None, data=None):
    request = urllib.request.Request(url, data=data, headers={"Host": HOST, **(headers or {})})
    if https:
        request.add_header("X-Forwarded-Proto", "https")
    return request


def fetch(url, **kwargs):
    try:
        response = OPENER.open(_request(url, **kwargs), timeout=30)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    return response.status, response.headers, response.read()


def test_pages_carry_the_security_headers(server):
    base, _ = server
    status, headers, body = fetch(base + "/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    # django-csp does not keep the directives' order: compare them as a mapping.
    policy = dict(
        directive.strip().split(" ", 1) for directive in headers["Content-Security-Policy"].split(";")
    )
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert headers["X-Frame-Options"] == "DENY"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])


def test_plain_http_is_redirected_to_https_except_healthz(server):
    base, _ = server
    status, headers, _ = fetch(base + "/dashboard/", https=False)
    assert (status, headers["Location"]) == (301, f"https://{HOST}/dashboard/")
    assert fetch(base + "/healthz", https=False)[:1] == (200,)


def test_static_files_are_hashed_compressed_and_cached(server):
    base, _ = server
    page = fetch(base + "/dashboard/")[2].decode()
    plotly = re.search(
        r'src="(/static/vendor/plotly/plotly-basic-4\.1\.1\.min\.[0-9a-f]{12}\.js)"', page
    ).group(1)
    status, headers, body = fetch(base + plotly, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert len(body) < 450_000  # 1.19 MB uncompressed
    assert "max-age=315360000" in headers["Cache-Control"]


def test_admin_login_works_behind_the_tls_proxy_and_is_never_cached(server):
    base, _ = server
    status, headers, body = fetch(base + "/admin/login/")
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    cookie = headers["Set-Cookie"]
    assert "Secure" in cookie
    token = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode()).group(1)
    status, headers, _ = fetch(
        base + "/admin/login/?next=/admin/",
        data=f"csrfmiddlewaretoken={form}&username=opal&password=a-long-test-password-1&next=/admin/".encode(),
        headers={
            "Cookie": f"csrftoken={token}",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/admin/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert status == 302 and headers["Location"] == "/admin/"
    session = next(c for c in headers.get_all("Set-Cookie") if c.startswith("sessionid="))
    assert "Secure" in session and "HttpOnly" in session


def test_database_down_gives_503_then_recovers(server):
    base, relay = server
    assert fetch(base + "/healthz")[:1] == (200,)
    relay.cut()
    try:
        for url in ("/healthz", "/", "/dashboard/", "/cases.csv"):
            status, headers, body = fetch(base + url)
            assert status == 503, url
        status, headers, body = fetch(base + "/")
        assert "Misuse Tracker is temporarily unavailable" in body.decode()
        assert headers["Retry-After"] == "30"
        assert fetch(base + "/healthz")[2] == b"database unavailable: OperationalError\n"
    finally:
        relay.restore()
    # Kept connections were broken: the health check on reuse replaces them.
    assert fetch(base + "/healthz")[:1] == (200,)
    assert fetch(base + "/")[0] == 200


def committed(sql: str, params=()):
    """Run SQL on a connection of its own, committed at once (the test's own is in a transaction)."""
    import psycopg2

    with psycopg2.connect(**connection.get_connection_params()) as db, db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() if cursor.description else None


@pytest.fixture
def many_lines():
    """100,000 more public case lines, committed so gunicorn sees them; removed afterwards."""
    from cases.models import CaseLine

    columns = ", ".join(f.column for f in CaseLine._meta.concrete_fields if f.name not in {"id", "reference"})
    last = committed("SELECT max(id) FROM cases_caseline")[0]
    # Copies of a public line in the unit /cases.csv counts by default (people disciplined).
    model = committed(
        "SELECT max(l.id) FROM cases_caseline l JOIN cases_foireturn r ON r.id = l.foi_return_id "
        "JOIN cases_foirequest q ON q.id = r.request_id "
        "WHERE q.unit = 'people_disciplined' AND r.review_state = 'approved'"
    )[0]
    committed(
        f"INSERT INTO cases_caseline ({columns}) SELECT {columns} FROM cases_caseline, "
        f"generate_series(1, 100000) WHERE id = %s",
        [model],
    )
    yield
    committed("DELETE FROM cases_caseline WHERE id > %s", [last])


def test_a_download_cut_off_mid_stream_fails_visibly(server, many_lines):
    import http.client

    base, relay = server
    host, port = base.removeprefix("http://").split(":")
    client = http.client.HTTPConnection(host, int(port), timeout=60)
    client.request("GET", "/cases.csv", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    response = client.getresponse()
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.read(65536).startswith(b"line_id,request,")
    relay.cut()
    try:
        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            while response.read(65536):
                pass
    finally:
        relay.restore()
        client.close()
    assert fetch(base + "/healthz")[:1] == (200,)
