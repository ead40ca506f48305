SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
# With seconds: the audit log and the job runs, where the order of events within a minute matters.
DATETIME_FORMAT = "j M Y H:i:s"
