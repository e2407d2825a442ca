"""Walks the audit chains (thuocdo.audit.chain) and names the first entry that breaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from thuocdo.audit import chain
from thuocdo.audit.models import AuditChainHead, AuditEntry
from thuocdo.core.clock import local


@dataclass(frozen=True)
class Broken:
    chain: int
    entry_id: int | None
    at: dt.datetime | None
    what: str
    what_en: str = ""

    def __str__(self) -> str:
        where = f"mục #{self.entry_id}" if self.entry_id is not None else "cuối chuỗi"
        when = f" ({local(self.at):%d/%m/%Y %H:%M:%S})" if self.at is not None else ""
        return f"Chuỗi {self.chain}, {where}{when}: {self.what}"

    def english(self) -> str:
        where = f"entry #{self.entry_id}" if self.entry_id is not None else "its end"
        when = f" ({local(self.at):%Y-%m-%d %H:%M:%S})" if self.at is not None else ""
        return f"Chain {self.chain}, {where}{when}: {self.what_en or self.what}"


@dataclass(frozen=True)
class Report:
    entries: int
    chains: int
    broken: Broken | None
    heads: tuple[tuple[int, int, str], ...] = ()  # (chain, length, last hash) when intact


def verify_audit(
    *,
    anchors: dict[int, dict[int, str]] | None = None,
    chunk: int = 2000,
    agency_id: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Report:
    """One pass in id order, keeping each chain's last hash; then each chain's end is
    compared with its head (which catches a lost tail or an emptied table).

    `agency_id` walks that agency's chain only (what its auditors may check from their
    page); `on_progress` hears the number of entries walked every `chunk` entries.

    `anchors` are chain ends printed by earlier runs and kept elsewhere ({chain: {length:
    hash}}): the chain's entry at that position must still carry that hash, which shows a
    chain rewritten with recomputed hashes by someone who could also move its head."""
    anchors = anchors or {}
    last: dict[int, str] = {}
    counts: dict[int, int] = {}
    last_ids: dict[int, int] = {}
    total = 0

    def broken(
        key: int, entry_id: int | None, at: dt.datetime | None, what: str, what_en: str
    ) -> Report:
        return Report(total, len(last), Broken(key, entry_id, at, what, what_en))

    rows = AuditEntry.objects.order_by("id").values("id", "prev_hash", "hash", *chain.CONTENT)
    heads_of = AuditChainHead.objects.all()
    if agency_id is not None:
        rows = rows.filter(agency_id=agency_id)
        heads_of = heads_of.filter(chain=chain.chain_of(agency_id))
    for row in rows.iterator(chunk_size=chunk):
        total += 1
        if on_progress is not None and total % chunk == 0:
            on_progress(total)
        key = chain.chain_of(row["agency_id"])
        expected_prev = last.get(key, chain.GENESIS)
        if row["prev_hash"] != expected_prev:
            return broken(
                key,
                row["id"],
                row["at"],
                "liên kết với mục đứng trước bị đứt (một mục trước nó bị xoá, chèn thêm "
                "hoặc đổi chỗ): mã băm mục trước ghi "
                f"{row['prev_hash'][:12] or '(trống)'}…, mục trước thực có "
                f"{expected_prev[:12]}…",
                "the link to the previous entry is broken (an entry before it was deleted, "
                f"inserted or moved): it names {row['prev_hash'][:12] or '(empty)'}…, the "
                f"previous entry has {expected_prev[:12]}…",
            )
        computed = chain.digest(chain.content_of(row), row["prev_hash"])
        if row["hash"] != computed:
            return broken(
                key,
                row["id"],
                row["at"],
                "nội dung đã bị sửa: mã băm ghi "
                f"{row['hash'][:12] or '(trống)'}…, nội dung hiện tại cho {computed[:12]}…",
                f"its content was changed: the stored hash is {row['hash'][:12] or '(empty)'}…, "
                f"the content now gives {computed[:12]}…",
            )
        last[key] = row["hash"]
        counts[key] = counts.get(key, 0) + 1
        last_ids[key] = row["id"]
        anchored = anchors.get(key, {}).get(counts[key])
        if anchored is not None and anchored != row["hash"]:
            return broken(
                key,
                row["id"],
                row["at"],
                f"chuỗi đã bị viết lại: mục thứ {counts[key]} có mã băm {row['hash'][:12]}…, "
                f"mốc đã lưu ghi {anchored[:12]}…",
                f"the chain was rewritten: entry number {counts[key]} has the hash "
                f"{row['hash'][:12]}…, the kept anchor says {anchored[:12]}…",
            )
    for key, marks in sorted(anchors.items()):
        if marks and max(marks) > counts.get(key, 0):
            return broken(
                key,
                None,
                None,
                f"chuỗi ngắn hơn mốc đã lưu: mốc ở mục thứ {max(marks)}, chuỗi còn "
                f"{counts.get(key, 0)} mục",
                f"the chain is shorter than a kept anchor: the anchor is at entry "
                f"{max(marks)}, the chain has {counts.get(key, 0)} entries",
            )
    heads = {head.chain: head for head in heads_of}
    for key in sorted(set(heads) | set(last)):
        head = heads.get(key)
        if head is None:
            return broken(
                key,
                last_ids[key],
                None,
                "chuỗi không có đầu chuỗi (ghi ngoài ứng dụng)",
                "the chain has no head (written outside the application)",
            )
        if head.last_hash != last.get(key, chain.GENESIS) or head.length != counts.get(key, 0):
            return broken(
                key,
                None,
                None,
                f"mất các mục cuối: đầu chuỗi ghi {head.length} mục, mã băm cuối "
                f"{head.last_hash[:12]}…; "
                f"còn lại {counts.get(key, 0)} mục, mục cuối "
                f"#{last_ids.get(key, '—')}",
                f"entries lost from its end: the head counts {head.length} entries ending in "
                f"{head.last_hash[:12]}…; {counts.get(key, 0)} remain, the last "
                f"#{last_ids.get(key, '—')}",
            )
    ends = tuple((key, counts.get(key, 0), last.get(key, chain.GENESIS)) for key in sorted(heads))
    return Report(total, len(set(heads) | set(last)), None, ends)


def altered(entries: Iterable[AuditEntry]) -> set[int]:
    """The ids of entries whose content no longer gives their stored hash: rewritten
    outside the application (the page flags them without walking the whole chain)."""
    return {
        entry.pk
        for entry in entries
        if entry.hash != chain.digest(chain.content_of(entry), entry.prev_hash)
    }
