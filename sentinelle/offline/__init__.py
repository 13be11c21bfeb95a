"""Offline case work (issue 19): a case worker's caseload on a device, encrypted there, and the sync that
replays the device's changes through the same services and policy as the web pages (docs/offline.md)."""
