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
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak

CANDIDATES, INSPECTORS = 0, 1  # the two streams of one seed
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
