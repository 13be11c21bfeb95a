"""Writes of protection monitoring, one module per sub-domain:

- incidents: record, update, submit, verify, reject, bulk import (idempotent by source id)
- duplicates: detect probable duplicates between sources, link or dismiss them
- alerts: alert rules, evaluation, notifications, flash reports
- hooks: what follows a submission (duplicate detection, alert evaluation), after commit
"""
