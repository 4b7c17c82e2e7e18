"""gunicorn's settings for `make serve`, from the environment (docs/deploy.md)."""

import multiprocessing
import os

# Loopback by default: the app trusts the proxy's X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER) and
# X-Forwarded-For (PROXY_COUNT), so only the proxy may reach it. HOST=0.0.0.0 only when the proxy is
# on another machine and a firewall lets nothing else reach PORT (docs/deploy.md).
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
# Threads, so one slow download does not hold a whole worker; downloads also have their own limit.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Request size limits before Django sees anything.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# Workers are recycled now and then, so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms [%({x-request-id}o)s]'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Prepare the unfiltered figures before the worker takes its first request (a cold aggregate
    at a million lines takes seconds). Django is set up by then: the app was just loaded."""
    from reports.selectors import dataset_warm

    dataset_warm()
