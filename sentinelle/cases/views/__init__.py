"""Case management pages (namespace "cases", mounted at /cas/): persons, cases, referrals, home pages."""
