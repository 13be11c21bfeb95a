"""Writes of case management (one transaction and one audit entry each).

Modules:
  persons    register, update, find and merge persons (persons engineer)
  tracing    family tracing requests, matches, reunification (persons engineer)
  cases      open a case and record its six steps: assessment, case plan, approvals, follow-ups, tasks,
             notes, closure and reopening (re-exports case_team and assistance)
  case_team  collaborators, transfers between case workers or organisations, break-the-glass access
             (inside the case's organisation)
  case_access  access to another organisation's case: requested, granted for some hours or refused by
             the managers of the organisation that holds it
  assistance individual protection assistance (IPA): request, approve, disburse, cancel
  consent    consent per purpose, its withdrawal, and which consent covers a referral
  referrals  the harmonised referral form per service type and the referral loop
  _casework  shared helpers of the above (the organisation a record is made for, references, deadlines,
             mail after commit); every policy check goes through core/permissions.py
"""
