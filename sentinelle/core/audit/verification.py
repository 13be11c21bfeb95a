"""Audit verification: walk the chains and check every anchor since the last restore (package docstring)."""

import hmac
import logging
from dataclasses import dataclass, field

from sentinelle.core import crypto
from sentinelle.core.audit.anchors import ANCHOR_OBJECT_TYPE, ANCHORS_STARTED, anchor_path, read_anchors
from sentinelle.core.audit.chain import GENESIS_HASH, KEYED, LEGACY, compute_hash
from sentinelle.core.models import AuditEntry

logger = logging.getLogger(__name__)


# --- Verification --------------------------------------------------------------------------------


@dataclass
class Verification:
    entries: int = 0
    broken: AuditEntry | None = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    anchors_checked: int = 0
    latest_anchor: dict | None = None
    unanchored: int = 0  # entries after the latest anchor

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Check:
    """An anchored head that must hold: in its chain (count: entries of the chain up to it), or, for an
    anchor written before the chains (chain None), in the whole log (count: entries up to it)."""

    label: str
    head_id: int
    head_hash: str
    count: int
    chain: int | None = None


@dataclass
class _Walk:
    """Where the walk is in one chain: the digest the next link must name, and how many entries it had."""

    prev: str = GENESIS_HASH
    count: int = 0
    last_id: int | None = None


def _link_problem(entry: AuditEntry, expected_prev: str, keyed_seen: bool, key) -> str | None:
    where = f"Audit chain broken at entry #{entry.pk} ({entry.at:%Y-%m-%d %H:%M:%S}, {entry.action})"
    if entry.scheme not in (LEGACY, KEYED):
        return f"{where}: unknown hash scheme {entry.scheme!r}."
    if entry.scheme == LEGACY and keyed_seen:
        return (
            f"{where}: it claims the unkeyed legacy scheme after keyed entries; it was written or "
            "rewritten without the audit key."
        )
    if entry.scheme == LEGACY and entry.chain:
        return (
            f"{where}: it claims the unkeyed legacy scheme in chain {entry.chain}, which only keyed entries "
            "extend; it was written or rewritten without the audit key."
        )
    if entry.prev_hash != expected_prev:
        return (
            f"{where}: it does not follow the entry before it in its chain ({entry.chain}); an entry before "
            "it was removed or inserted, or it was moved from another chain."
        )
    if not hmac.compare_digest(compute_hash(entry, key), entry.entry_hash):
        return (
            f"{where}: its content does not match its hash; it was changed (or the configured key ring "
            "is not the one it was written with)."
        )
    return None


def _checks(lines: list[dict]) -> list[_Check]:
    """The anchors that must hold: those since the last restore, and the backup anchor it rewound to."""
    start = max((index for index, line in enumerate(lines) if line["kind"] == "restore"), default=0)
    checks = []
    if lines and lines[start]["kind"] == "restore":
        rewound = lines[start]["detail"].get("rewound_to") or {}
        if rewound.get("head_id"):
            checks.append(
                _Check(
                    f"the backup anchor that the restore of {lines[start]['at']} rewound to",
                    rewound["head_id"],
                    rewound["head_hash"],
                    rewound["count"],
                )
            )
    for line in lines[start:]:
        label = f"anchor {line['seq']} ({line['kind']}, {line['at']})"
        if "chains" in line:
            checks += [
                _Check(label, head_id, digest, count, chain)
                for chain, head_id, digest, count in line["chains"]
            ]
        elif line["head_id"]:
            checks.append(_Check(label, line["head_id"], line["head_hash"], line["count"]))
    return checks


def _check_failure(check: _Check, found: dict, walks: dict[int, _Walk], entries: int, last_id) -> str | None:
    digest, position, chain_position = found.get(check.head_id, (None, None, None))
    if check.chain is None:
        where, end_id, end_count = "the log", last_id, entries
    else:
        walk = walks.get(check.chain, _Walk())
        where, end_id, end_count = f"chain {check.chain}", walk.last_id, walk.count
        position = chain_position
    if digest is None and (end_id is None or check.head_id > end_id):
        return (
            f"Audit log truncated: {check.label} recorded entry #{check.head_id} as the head of {where} "
            f"({check.count} entries), but {where} ends at entry #{end_id or 0} ({end_count} entries): "
            "entries were removed from its end."
        )
    if digest is None:
        return f"Audit entry #{check.head_id}, recorded by {check.label}, was removed."
    if not hmac.compare_digest(digest, check.head_hash):
        return f"Audit entry #{check.head_id} differs from {check.label}: it was rewritten."
    if position != check.count:
        return (
            f"{check.label} counted {check.count} entries of {where} up to #{check.head_id}, the log has "
            f"{position}: entries were removed or inserted."
        )
    return None


def verify_log(*, anchors: bool = True, batch_size: int = 5000) -> Verification:
    """Walk the chain from the first entry and check it against the anchors (unless anchors=False)."""
    result = Verification()
    path = anchor_path() if anchors else None
    lines: list[dict] = []
    if path is not None:
        lines, file_problems = read_anchors(path)
        result.problems += [f"Anchor file {path}: {problem}" for problem in file_problems]
        result.latest_anchor = lines[-1] if lines else None
    checks = _checks(lines)
    wanted = {check.head_id for check in checks}
    # Anchored entry id: its digest, its position in the log and in its chain.
    found: dict[int, tuple[str, int, int]] = {}
    walks: dict[int, _Walk] = {}
    key = None
    keyed_seen, last_id, started = False, None, None
    # In id order: the order of the links within each chain (see the module docstring).
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        result.entries += 1
        last_id = entry.pk
        walk = walks.setdefault(entry.chain, _Walk())
        walk.count += 1
        walk.last_id = entry.pk
        if result.broken is None:
            if key is None and entry.scheme == KEYED:
                key = crypto.audit_key()
            problem = _link_problem(entry, walk.prev, keyed_seen, key)
            if problem:
                result.broken = entry
                result.problems.insert(0, problem)
            else:
                walk.prev = entry.entry_hash
                keyed_seen = keyed_seen or entry.scheme == KEYED
                if entry.object_id == ANCHORS_STARTED and entry.object_type == ANCHOR_OBJECT_TYPE:
                    started = entry
        if entry.pk in wanted:
            found[entry.pk] = (entry.entry_hash, result.entries, walk.count)
    if not anchors:
        return result

    failures = [
        failure
        for check in checks
        if (failure := _check_failure(check, found, walks, result.entries, last_id)) is not None
    ]
    result.anchors_checked = len({check.label for check in checks})  # anchors, not chain heads
    if failures:
        others = f" ({len(failures) - 1} other anchor(s) fail as well.)" if len(failures) > 1 else ""
        result.problems.append(failures[0] + others)

    if path is None:
        if started is not None:
            result.problems.append(
                f"Anchoring started at entry #{started.pk}, but SENTINELLE_AUDIT_ANCHOR_DIR is not set: "
                "the anchors cannot be checked."
            )
        else:
            result.warnings.append(
                "SENTINELLE_AUDIT_ANCHOR_DIR is not set: the chain is not anchored outside the database, "
                "so entries removed from its end would go unnoticed."
            )
    elif not lines and not result.problems:
        if started is not None:
            result.problems.append(
                f"The anchor file {path} is missing or empty, but anchoring started at entry #{started.pk} "
                f"({started.at:%Y-%m-%d %H:%M}): the anchors were removed."
            )
        else:
            result.warnings.append(f"No anchor yet in {path}: run manage.py audit_anchor.")
    latest = result.latest_anchor
    if latest and "chains" in latest:
        result.unanchored = max(result.entries - latest["count"], 0)
    elif latest and latest["head_id"] in found:
        result.unanchored = result.entries - found[latest["head_id"]][1]
    return result


def verify_chain(batch_size: int = 5000) -> AuditEntry | None:
    """The first entry that does not link (the chains only, not the anchors), or None."""
    return verify_log(anchors=False, batch_size=batch_size).broken
