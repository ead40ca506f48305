SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
# With seconds: the audit log and the job runs, where the order of events within a minute matters.
DATETIME_FORMAT = "Y-m-d H:i:s"
