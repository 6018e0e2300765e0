"""The draw of a random inspection (双随机、一公开), recomputable by anyone from the published pools.

Nothing here reads the chain or the database: given a draw's published pools, what it committed
and the hash of its reveal block, these functions give its seed and its selection, so that
`ledger draw verify` (and anybody else, with this page of rules) can check the office's draw.

The rules (docs/contracts.md, "Inspection draws", says the same):

* A pool is a list of distinct bytes32 identifiers (commitment keys for the candidate pool,
  `keccak256(inspector code)` for the roster) in ascending byte order; its hash is
  `keccak256(id_0 ‖ id_1 ‖ … )`, the 32-byte words concatenated (`abi.encodePacked(bytes32[])`).
* The draw's commitment is `keccak256(abi.encode(draw, attempt, poolHash, poolSize, rosterHash,
  rosterSize, commitmentsToPick, inspectorsToPick, revealBlock))`, as the contract computes it.
* The seed is `keccak256(blockhash(revealBlock) ‖ commitment)`.
* Picking k of a pool of n (stream 0: candidates, stream 1: inspectors): a partial Fisher–Yates
  shuffle of the positions 0 … n−1; step i (0 ≤ i < k) swaps position i with position
  i + u_i, where u_i is uniform in [0, n − i): the first word
  `r = keccak256(seed ‖ uint8 stream ‖ uint256 i ‖ uint256 c)`, for c = 0, 1, …, read as an
  unsigned big-endian integer, with r < 2^256 − (2^256 mod (n − i)) (rejection sampling: no modulo
  bias), gives u_i = r mod (n − i). The selection is the items at positions 0 … k−1, in that order.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from eth_abi import encode
from eth_utils import keccak
from pydantic import BaseModel, StringConstraints

CANDIDATES, INSPECTORS = 0, 1  # the two streams of one seed
Word = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$", to_lower=True)]  # a bytes32 as 0x-hex
_WORDS = 2**256


class PoolError(ValueError):
    """A pool that is not a sorted list of distinct 32-byte identifiers."""


def canonical_pool(ids: Sequence[bytes]) -> list[bytes]:
    """The pool in its canonical order (ascending bytes); refuses repeats and other widths."""
    for item in ids:
        if len(item) != 32:
            raise PoolError(f"a pool identifier must be 32 bytes, not {len(item)}: 0x{item.hex()}")
    pool = sorted(ids)
    for a, b in zip(pool, pool[1:]):
        if a == b:
            raise PoolError(f"the pool lists 0x{a.hex()} twice")
    return pool


def pool_hash(ids: Sequence[bytes]) -> bytes:
    return keccak(b"".join(canonical_pool(ids)))


@dataclass(frozen=True)
class DrawTerms:
    """What the office committed for one attempt of a draw."""

    draw: bytes
    attempt: int
    pool_hash: bytes
    pool_size: int
    roster_hash: bytes
    roster_size: int
    commitments_to_pick: int
    inspectors_to_pick: int
    reveal_block: int

    def commitment(self) -> bytes:
        return keccak(
            encode(
                ["bytes32", "uint32", "bytes32", "uint32", "bytes32", "uint32", "uint32", "uint32", "uint64"],
                [
                    self.draw,
                    self.attempt,
                    self.pool_hash,
                    self.pool_size,
                    self.roster_hash,
                    self.roster_size,
                    self.commitments_to_pick,
                    self.inspectors_to_pick,
                    self.reveal_block,
                ],
            )
        )


def seed_of(reveal_block_hash: bytes, commitment: bytes) -> bytes:
    return keccak(reveal_block_hash + commitment)


def uniform_below(seed: bytes, stream: int, step: int, bound: int) -> int:
    """A number uniform in [0, bound) drawn from the seed for this stream and step."""
    if bound < 1:
        raise ValueError(f"bound must be at least 1, not {bound}")
    limit = _WORDS - _WORDS % bound
    counter = 0
    while True:
        word = keccak(seed + bytes([stream]) + step.to_bytes(32, "big") + counter.to_bytes(32, "big"))
        value = int.from_bytes(word, "big")
        if value < limit:
            return value % bound
        counter += 1


def pick(seed: bytes, stream: int, size: int, count: int) -> list[int]:
    """The positions (0 … size−1) that `count` picks of `size` select, in the order picked."""
    if not 0 < count <= size:
        raise ValueError(f"cannot pick {count} of {size}")
    positions = list(range(size))
    for step in range(count):
        other = step + uniform_below(seed, stream, step, size - step)
        positions[step], positions[other] = positions[other], positions[step]
    return positions[:count]


@dataclass(frozen=True)
class Selection:
    commitments: list[bytes]
    inspectors: list[bytes]


def select(seed: bytes, pool: Sequence[bytes], roster: Sequence[bytes], terms: DrawTerms) -> Selection:
    """The draw's selection from its seed and its pools (each put in canonical order first)."""
    candidates, inspectors = canonical_pool(pool), canonical_pool(roster)
    return Selection(
        commitments=[candidates[i] for i in pick(seed, CANDIDATES, len(candidates), terms.commitments_to_pick)],
        inspectors=[inspectors[i] for i in pick(seed, INSPECTORS, len(inspectors), terms.inspectors_to_pick)],
    )


# -- a draw as recorded, and its verification -------------------------------------------------


@dataclass
class DrawRecord:
    """A draw's latest attempt as its events tell it (chain logs or read-model rows, folded in
    chain order): its terms, its reveal (if any), the expiries before it, its outcomes."""

    terms: DrawTerms
    commitment: bytes  # as the DrawCommitted event published it
    expired_attempts: int = 0
    reveal_block_hash: bytes | None = None
    seed: bytes | None = None
    outcomes: dict[bytes, str] = field(default_factory=dict)  # commitment -> outcome name

    @property
    def status(self) -> str:
        return "revealed" if self.seed is not None else "committed"


OUTCOME_NAMES = ("none", "conforms", "minor_findings", "false_commitment")


def fold_draw(draw: bytes, events: Sequence[tuple[str, dict]]) -> DrawRecord | None:
    """The record of `draw` from its events in chain order: (event name, decoded arguments with
    bytes32 as 0x-hex), as ledger.chain.events decodes them. None when it was never committed."""
    record: DrawRecord | None = None
    expired = 0
    for name, args in events:
        if name == "DrawCommitted":
            record = DrawRecord(
                terms=DrawTerms(
                    draw=draw,
                    attempt=args["attempt"],
                    pool_hash=_word(args["poolHash"]),
                    pool_size=args["poolSize"],
                    roster_hash=_word(args["rosterHash"]),
                    roster_size=args["rosterSize"],
                    commitments_to_pick=args["commitmentsToPick"],
                    inspectors_to_pick=args["inspectorsToPick"],
                    reveal_block=args["revealBlock"],
                ),
                commitment=_word(args["commitment"]),
                expired_attempts=expired,
            )
        elif name == "DrawExpired":
            expired += 1
        elif name == "DrawRevealed" and record is not None:
            record.reveal_block_hash, record.seed = _word(args["revealBlockHash"]), _word(args["seed"])
        elif name == "InspectionRecorded" and record is not None:
            outcome = args["outcome"]
            record.outcomes[_word(args["commitment"])] = OUTCOME_NAMES[outcome] if isinstance(outcome, int) else outcome
    return record


def _word(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else bytes.fromhex(value.removeprefix("0x"))


@dataclass(frozen=True)
class PublishedDraw:
    """What the office publishes for a draw: its pools (and, once revealed, its selection)."""

    draw: bytes
    candidates: list[bytes]
    inspectors: list[bytes]
    selection: Selection | None = None


def verify(
    published: PublishedDraw, record: DrawRecord, canonical_reveal_hash: bytes | None
) -> tuple[list[str], Selection | None]:
    """Every way the published pools and selection disagree with the chain, and the selection
    recomputed from the pools (None when the draw is not revealed, or its pools do not match).

    `canonical_reveal_hash` is the reveal block's hash as the node reports it now."""
    problems: list[str] = []
    terms = record.terms
    for label, pool, committed_hash, committed_size in (
        ("candidate pool", published.candidates, terms.pool_hash, terms.pool_size),
        ("inspector roster", published.inspectors, terms.roster_hash, terms.roster_size),
    ):
        try:
            digest = pool_hash(pool)
        except PoolError as exc:
            problems.append(f"the published {label} is malformed: {exc}")
            continue
        if digest != committed_hash or len(pool) != committed_size:
            problems.append(
                f"the published {label} (hash 0x{digest.hex()}, {len(pool)} entries) is not the one committed "
                f"(hash 0x{committed_hash.hex()}, {committed_size} entries): it changed after the commitment"
            )
    if terms.commitment() != record.commitment:
        problems.append("the commitment the chain published is not the keccak256 of the committed terms")
    if record.seed is None or record.reveal_block_hash is None:
        return problems, None
    if canonical_reveal_hash is not None and canonical_reveal_hash != record.reveal_block_hash:
        problems.append(
            f"the reveal used block hash 0x{record.reveal_block_hash.hex()}, the node's block {terms.reveal_block} "
            f"is 0x{canonical_reveal_hash.hex()}"
        )
    if seed_of(record.reveal_block_hash, record.commitment) != record.seed:
        problems.append("the seed on chain is not keccak256(reveal block hash ‖ commitment)")
    if problems:
        return problems, None
    selection = select(record.seed, published.candidates, published.inspectors, terms)
    if published.selection is not None and published.selection != selection:
        problems.append("the published selection differs from the selection recomputed from the seed and the pools")
    outside = [c for c in record.outcomes if c not in selection.commitments]
    for commitment in outside:
        problems.append(f"an outcome was recorded for 0x{commitment.hex()}, which the draw did not select")
    return problems, selection


class _SelectionFile(BaseModel):
    commitments: list[Word]
    inspectors: list[Word]


class PublishedDrawFile(BaseModel):
    """The JSON the office publishes for a draw (GET /v1/public/inspections/{draw}/pools gives it;
    `ledger draw verify --pools FILE` reads it): bytes32 values as 0x-hex."""

    draw: Word
    title: str = ""
    candidates: list[Word]
    inspectors: list[Word]
    selection: _SelectionFile | None = None

    def published(self) -> PublishedDraw:
        word = bytes.fromhex
        selection = None
        if self.selection is not None:
            selection = Selection(
                commitments=[word(c[2:]) for c in self.selection.commitments],
                inspectors=[word(i[2:]) for i in self.selection.inspectors],
            )
        return PublishedDraw(
            draw=word(self.draw[2:]),
            candidates=[word(c[2:]) for c in self.candidates],
            inspectors=[word(i[2:]) for i in self.inspectors],
            selection=selection,
        )
