"""Demo cases: the showcase (cases of each type, consents, referrals, IPA, tracing), then a year of
case load (caseload.py, run by the showcase)."""

from sentinelle.demo.cases.showcase import seed

__all__ = ["seed"]
