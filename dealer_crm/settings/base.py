"""Settings shared by every environment. Values that differ come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime files of the embedded default (SQLite file, Celery's filesystem queue, demo logins).
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",  # django-csp: its system checks of the policy settings
    "django_celery_beat",
    "import_export",
    "simple_history",
    "dealer_crm.accounts.lockouts.LockoutsConfig",  # django-axes, with a name in the admin
    "dealer_crm.accounts",
    "dealer_crm.audit",
    "dealer_crm.jobs",
    "dealer_crm.messaging",
    "customers",
    "customers.imports",
    "customers.catalogue",
    "customers.membership",
    "followups",
    "followups.scripts",
    "followups.callbacks",
    "followups.complaints",
    "followups.retention",
    "followups.appointments",
    "followups.leads",
    "events",
    "events.gifts",
    "events.birthdays",
    "events.care",
]

MIDDLEWARE = [
    "dealer_crm.middleware.HealthCheckMiddleware",  # first: no host check, no HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header on every page
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dealer_crm.locale.PreferredLanguageMiddleware",
    # Early: a NUL or a lone surrogate anywhere in the request is a 400 before any view or query sees it.
    "dealer_crm.middleware.UnstorableInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dealer_crm.middleware.IdleSessionMiddleware",
    "dealer_crm.middleware.HtmxLoginRedirectMiddleware",
    # Every page requires login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "dealer_crm.audit.middleware.AuditContextMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dealer_crm.urls"
WSGI_APPLICATION = "dealer_crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dealer_crm.navigation.shell",
            ],
        },
    },
]

# The embedded default is a SQLite file; production sets DATABASE_URL=postgres://...
DATABASES = {
    "default": env.db_url_config(env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'dealer_crm.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The embedded SQLite of `make run` keeps the covering indexes' key columns and drops the included
# ones (their only use is PostgreSQL's index-only scans), which Django reports on every start.
SILENCED_SYSTEM_CHECKS = ["models.W040"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one account from one
# address, that account cannot log in from there for LOGIN_LOCKOUT_MINUTES. Never by address alone:
# a whole store logs in from one address behind its router. An admin unlocks early in the admin
# (登录锁定 → 登录尝试) or with `manage.py axes_reset_username NAME`. Logins and failures are in the audit log.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=max(1, env.int("LOGIN_LOCKOUT_MINUTES", default=15)))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # more tries while locked do not make it last longer
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "dealer_crm.views.locked_out"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "dealer_crm.audit.context.client_ip"  # the audit log's address, proxy-aware
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle sessions expire: IdleSessionMiddleware renews the session's age as the user works.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
# Searches by a number's ending (or, for roles that see numbers masked, by a whole number) that one
# user may run in an hour; each is in the audit log.
PHONE_SEARCHES_PER_HOUR = env.int("PHONE_SEARCHES_PER_HOUR", default=60)
# Archive imports: a workbook is read in a process of its own under these limits (a hostile file
# ends that process, not the worker), and a sheet may span at most this many cells (rows × columns).
IMPORT_READER_MAX_MEMORY_MB = env.int("IMPORT_READER_MAX_MEMORY_MB", default=2048)
IMPORT_READER_MAX_SECONDS = env.int("IMPORT_READER_MAX_SECONDS", default=300)
IMPORT_MAX_SHEET_CELLS = env.int("IMPORT_MAX_SHEET_CELLS", default=10_000_000)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["dealer_crm.formats"]  # short dates per language: 2026-03-05, 5 Mar 2026

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Addresses of the reverse proxies in front of gunicorn; the audit log then records the client's
# address from X-Forwarded-For (the proxy must set it: nginx `proxy_add_x_forwarded_for`).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): the browser runs scripts and applies styles only from the
# CRM's own static files. No inline <script>/<style>, no style="…" or on…="…" attributes, no hx-on:
# templates use classes from static/css/app.css and data-* attributes that static/js/app.js handles.
# data: images are Bootstrap's own (the arrows and ticks of form controls are SVG data URIs in its CSS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Celery: the broker is Redis in production; the embedded default needs no server. ---
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _queue_dir = VAR_DIR / "celery-queue"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The schedule lives in the database (django-celery-beat), created by the jobs app's data
# migration: the daily jobs at 05:30 Asia/Shanghai, editable under 系统管理 → 定时计划.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# When beat starts, the daily jobs of the days it missed run, as far back as this many days
# before today (0: only today's, once 05:30 has passed).
DAILY_JOBS_CATCH_UP_DAYS = env.int("DAILY_JOBS_CATCH_UP_DAYS", default=3)

# --- The callback centre (followups/callbacks). ---
# A problem (反馈问题) is due this many hours after it lands in a department: plain hours, nights and
# weekends included (the complaints' deadlines are the ones counted in working hours).
PROBLEM_DEADLINE_HOURS = env.int("PROBLEM_DEADLINE_HOURS", default=48)
# When the agents' day starts (local time, HH:MM): a callback due "the next day" is due then.
CALLBACK_SHIFT_START = env.str("CALLBACK_SHIFT_START", default="08:30")
# The last time of day an agent calls (HH:MM): a retry that would fall later moves to the next shift.
CALLBACK_SHIFT_END = env.str("CALLBACK_SHIFT_END", default="18:00")
# A callback taken with "take the next" and not worked for this long is free for the other agents again.
CALLBACK_CLAIM_LEASE_MINUTES = env.int("CALLBACK_CLAIM_LEASE_MINUTES", default=30)

# --- Complaints (followups/complaints). ---
# The store's working hours for the complaints' working-hour clock (local time, HH:MM); the working
# days are China's official ones (chinese-calendar: holidays and make-up working days 调休), with
# the store's own exceptions entered as store calendar days.
COMPLAINT_WORKDAY_START = env.str("COMPLAINT_WORKDAY_START", default="08:30")
COMPLAINT_WORKDAY_END = env.str("COMPLAINT_WORKDAY_END", default="17:30")
# The follow-up call after the solution is due this many calendar days later.
COMPLAINT_FOLLOW_UP_DAYS = env.int("COMPLAINT_FOLLOW_UP_DAYS", default=7)
# Tell the staff an escalation by SMS too (to their mobile on their account), besides their home page.
COMPLAINT_ESCALATION_SMS = env.bool("COMPLAINT_ESCALATION_SMS", default=False)

# --- Retention (followups/retention): reminders, solicitations, lapses. ---
# The first maintenance (首保) and the maintenance interval for a vehicle whose model the catalogue does
# not know (the catalogue's models carry their own): months and kilometres, whichever comes first.
RETENTION_FIRST_MONTHS = env.int("RETENTION_FIRST_MONTHS", default=3)
RETENTION_FIRST_KM = env.int("RETENTION_FIRST_KM", default=5000)
RETENTION_INTERVAL_MONTHS = env.int("RETENTION_INTERVAL_MONTHS", default=6)
RETENTION_INTERVAL_KM = env.int("RETENTION_INTERVAL_KM", default=5000)
# The solicitation goes this many days before the first maintenance falls due (3 months: day 60 or so),
# the chasing call this many days before it, to those who have not come.
RETENTION_SOLICIT_DAYS_BEFORE = env.int("RETENTION_SOLICIT_DAYS_BEFORE", default=30)
RETENTION_CHASE_DAYS_BEFORE = env.int("RETENTION_CHASE_DAYS_BEFORE", default=10)
# A maintenance reminder goes this many days before the vehicle is due; a visit up to this many days
# after it fell due still counts as the reminder's return.
RETENTION_REMINDER_DAYS_BEFORE = env.int("RETENTION_REMINDER_DAYS_BEFORE", default=14)
RETENTION_RETURN_DAYS_AFTER = env.int("RETENTION_RETURN_DAYS_AFTER", default=30)
# A problem or complaint closed this recently still turns the reminder into a call that asks about it.
RETENTION_RECENT_CASE_DAYS = env.int("RETENTION_RECENT_CASE_DAYS", default=90)

# --- Appointments (followups/appointments). ---
# Slots are made this many days ahead; the day-before reminder SMS goes at this time (local, HH:MM).
APPOINTMENT_DAYS_AHEAD = env.int("APPOINTMENT_DAYS_AHEAD", default=30)
APPOINTMENT_REMINDER_AT = env.str("APPOINTMENT_REMINDER_AT", default="10:00")

# --- Customer care (events/, customers/membership). ---
# Birthdays: who has one within this many days shows on the birthday list; the greeting goes on the day.
BIRTHDAY_DAYS_AHEAD = env.int("BIRTHDAY_DAYS_AHEAD", default=7)
# Gifts: what one customer's approved gifts may cost in a calendar year (yuan), whatever the budget holds.
GIFT_CAP_PER_CUSTOMER_YEAR = env.int("GIFT_CAP_PER_CUSTOMER_YEAR", default=500)
# Points expire after this many months without a paid visit (a club's usual 18).
POINTS_EXPIRY_MONTHS = env.int("POINTS_EXPIRY_MONTHS", default=18)

# --- The SMS platform (dealer_crm/messaging; the README lists each gateway's settings). ---
# Who the recipients are, and the archive's side of the platform (preferences, variables, timeline).
MESSAGING_RECIPIENT_MODEL = "customers.Customer"
MESSAGING_AUDIENCE = "customers.messaging.CustomerAudience"
# console (the default: the log and var/sms-outbox.log, nothing leaves the machine), http, aliyun, tencent.
SMS_GATEWAY = env.str("SMS_GATEWAY", default="console")
SMS_SIGN_NAME = env.str("SMS_SIGN_NAME", default="雷诺汽车4S店")  # the signature 【…】 the gateway adds
SMS_STORE_NAME = env.str("SMS_STORE_NAME", default=SMS_SIGN_NAME)  # the {store} variable
SMS_OPT_OUT_TEXT = env.str("SMS_OPT_OUT_TEXT", default="")  # empty: the gateway's wording (回T退订 / 拒收请回复R)
SMS_QUIET_HOURS = env.str("SMS_QUIET_HOURS", default="21:00-08:00")  # empty for none
SMS_MARKETING_WEEKLY_CAP = env.int("SMS_MARKETING_WEEKLY_CAP", default=2)  # per customer, 0 for none
SMS_SAME_TEMPLATE_PER_DAY = env.int("SMS_SAME_TEMPLATE_PER_DAY", default=1)  # per number, 0 for none
SMS_RATE_LIMIT = env.int("SMS_RATE_LIMIT", default=0)  # messages a second per gateway, 0 for none
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=5)  # temporary errors, then failed
SMS_RETRY_BACKOFF_SECONDS = env.int("SMS_RETRY_BACKOFF_SECONDS", default=30)  # doubled at each attempt
SMS_CLAIM_LEASE_SECONDS = env.int("SMS_CLAIM_LEASE_SECONDS", default=300)  # a claim older: its sender stopped
SMS_UNKNOWN_AFTER_HOURS = env.int("SMS_UNKNOWN_AFTER_HOURS", default=24)  # then listed for a person
# A receipt naming only a number (Tencent's, for a send call that timed out) settles that number's
# one message in doubt claimed within this many hours: the carriers try an SMS for up to 72 hours.
SMS_RECEIPT_MATCH_HOURS = env.int("SMS_RECEIPT_MATCH_HOURS", default=72)
SMS_DISPATCH_PARALLEL = env.int("SMS_DISPATCH_PARALLEL", default=2)  # dispatch tasks a bulk send starts
SMS_DISPATCH_BUDGET_SECONDS = env.float("SMS_DISPATCH_BUDGET_SECONDS", default=20.0)  # a task's round
SMS_CONSOLE_FILE = env.str("SMS_CONSOLE_FILE", default=str(VAR_DIR / "sms-outbox.log"))
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_BATCH = env.int("SMS_HTTP_BATCH", default=100)
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
SMS_HTTP_AUTH_TOKEN = env.str("SMS_HTTP_AUTH_TOKEN", default="")
# Aliyun (SMS_GATEWAY=aliyun): an AccessKey allowed to call dysmsapi; the signature is SMS_SIGN_NAME.
# Endpoint and protocol are settable so that tests point the real SDK at a local server.
SMS_ALIYUN_ACCESS_KEY_ID = env.str("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_ENDPOINT = env.str("SMS_ALIYUN_ENDPOINT", default="dysmsapi.aliyuncs.com")
SMS_ALIYUN_PROTOCOL = env.str("SMS_ALIYUN_PROTOCOL", default="https")
SMS_ALIYUN_TIMEOUT = env.float("SMS_ALIYUN_TIMEOUT", default=10.0)  # seconds; then the message is unknown
SMS_ALIYUN_PARALLEL = env.int("SMS_ALIYUN_PARALLEL", default=8)  # SendSms calls of one batch at once
# Tencent (SMS_GATEWAY=tencent): a SecretId/SecretKey and the SMS application's SdkAppId.
SMS_TENCENT_SECRET_ID = env.str("SMS_TENCENT_SECRET_ID", default="")
SMS_TENCENT_SECRET_KEY = env.str("SMS_TENCENT_SECRET_KEY", default="")
SMS_TENCENT_SDK_APP_ID = env.str("SMS_TENCENT_SDK_APP_ID", default="")
SMS_TENCENT_REGION = env.str("SMS_TENCENT_REGION", default="ap-guangzhou")
SMS_TENCENT_ENDPOINT = env.str("SMS_TENCENT_ENDPOINT", default="sms.tencentcloudapi.com")
SMS_TENCENT_PROTOCOL = env.str("SMS_TENCENT_PROTOCOL", default="https")
SMS_TENCENT_TIMEOUT = env.float("SMS_TENCENT_TIMEOUT", default=10.0)  # seconds; then the messages are unknown
SMS_TENCENT_PARALLEL = env.int("SMS_TENCENT_PARALLEL", default=8)  # SendSms calls of one batch at once
# Receipt and reply pushes larger than this are refused (413) without being read.
SMS_CALLBACK_MAX_BYTES = env.int("SMS_CALLBACK_MAX_BYTES", default=1024 * 1024)
# The secret part of the receipt and reply URLs given to the provider (/sms/receipts/<gateway>/<token>/):
# Aliyun and Tencent do not sign their pushes. Empty: the endpoints answer 404.
SMS_CALLBACK_TOKEN = env.str("SMS_CALLBACK_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "refusals_in_one_line": {"()": "dealer_crm.logs.RefusalsInOneLine"},
        "callback_token_hidden": {"()": "dealer_crm.logs.CallbackTokenHidden"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own console handler (on when DEBUG) would print every record a second time: its
        # records go to the root handler like everyone else's.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # The SMS receipt and reply URLs hold a secret: it never reaches the log (dealer_crm/logs.py).
        "django.request": {"filters": ["callback_token_hidden", "refusals_in_one_line"]},
        # runserver's access log: Django's default gives it its own handler and no propagation; here
        # it goes to the root handler like the rest (a logger named here loses its old handlers).
        "django.server": {"handlers": [], "propagate": True, "filters": ["callback_token_hidden"]},
    },
}
