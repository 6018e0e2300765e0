// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title IInspectionDraws (v1)
 * @notice Random inspections (双随机、一公开) that anyone can re-check: the office commits to a
 * draw (which commitments are candidates, which inspectors may go, how many of each), a block
 * whose hash nobody knows yet seeds it, and the outcome of each inspection is recorded here.
 *
 * @dev Commit. The office (VERIFIER_ROLE) commits a draw: the hash of its candidate pool (the
 * commitment identifiers of one period, kind and district, published off chain) and of its
 * inspector roster (inspector codes' keccak256, no personal data), the size of each, how many of
 * each to pick, and a reveal block at least {MIN_REVEAL_DELAY} blocks ahead. A pool hash is
 * `keccak256(abi.encodePacked(ids))` of the pool's bytes32 identifiers sorted ascending without
 * repeats (ledger.domain.inspections computes it the same way).
 *
 * Reveal. After the reveal block, and while its hash is still available (blockhash covers the
 * {REVEAL_WINDOW} most recent blocks), anyone may reveal. The seed is
 * `keccak256(abi.encodePacked(blockhash(revealBlock), commitment))` where `commitment` is
 * {drawCommitment}: the keccak256 of everything committed. Only the seed goes on chain (gas); the
 * selection is a deterministic function of the seed and the published pools (docs/contracts.md,
 * "Inspection draws"), which `ledger draw verify` recomputes from the pools alone.
 *
 * A draw cannot be revealed before its block, twice, or changed. Expiry: a draw nobody revealed
 * within the window can be marked expired by anyone ({DrawExpired}); only then may the office
 * commit it again, with the very same pools and picks and a new reveal block, as the next
 * `attempt`. So an unrevealed draw is never replaced silently, and its pools never change.
 *
 * Outcomes. The office records one outcome per inspected commitment of a revealed draw
 * (conforms, minor findings, false commitment 不实承诺) with the inspection report's hash, at
 * most as many as the draw picked. The chain does not check that a commitment was selected (it
 * never sees the pools); `ledger draw verify` does, against the recomputed selection.
 *
 * Governance: DEFAULT_ADMIN_ROLE follows AccessControlDefaultAdminRules; PAUSER_ROLE stops every
 * write but governance (a pause does not stop the reveal window: a draw whose window passes
 * during a pause expires).
 */
interface IInspectionDraws {
    enum DrawStatus {
        None,
        Committed,
        Revealed,
        Expired
    }

    /// @notice None is "not inspected"; the other three are the outcomes an inspection records.
    enum Outcome {
        None,
        Conforms,
        MinorFindings,
        FalseCommitment
    }

    /// @notice A draw as the views report it.
    struct Draw {
        bytes32 poolHash;
        bytes32 rosterHash;
        bytes32 seed; // zero until revealed
        uint64 revealBlock;
        uint32 poolSize;
        uint32 rosterSize;
        uint32 commitmentsToPick;
        uint32 inspectorsToPick;
        uint32 attempt; // 1 for the first commit, +1 for each re-commit after an expiry
        uint32 outcomes; // inspections recorded so far
        DrawStatus status;
    }

    // -- events ---------------------------------------------------------------------------

    event DrawCommitted(
        bytes32 indexed draw,
        uint32 attempt,
        bytes32 poolHash,
        uint32 poolSize,
        bytes32 rosterHash,
        uint32 rosterSize,
        uint32 commitmentsToPick,
        uint32 inspectorsToPick,
        uint64 revealBlock,
        bytes32 commitment
    );
    /// @notice The seed is fixed: `keccak256(abi.encodePacked(revealBlockHash, commitment))`.
    event DrawRevealed(bytes32 indexed draw, uint32 attempt, bytes32 revealBlockHash, bytes32 seed);
    /// @notice Nobody revealed within the window; the office may commit the draw again.
    event DrawExpired(bytes32 indexed draw, uint32 attempt, uint64 revealBlock);
    event InspectionRecorded(
        bytes32 indexed draw,
        bytes32 indexed commitment,
        Outcome outcome,
        bytes32 documentHash
    );

    // -- errors ---------------------------------------------------------------------------

    /// @notice A draw or commitment identifier was zero.
    error InspectionDrawsZeroIdentifier();
    /// @notice A pool, roster or document hash was zero.
    error InspectionDrawsZeroHash();
    /// @notice Nothing to pick, or more to pick than the pool or roster holds.
    error InspectionDrawsInvalidPick(uint32 size, uint32 picks);
    /// @notice The reveal block is sooner than {MIN_REVEAL_DELAY} or further than {MAX_REVEAL_DELAY} ahead.
    error InspectionDrawsInvalidRevealBlock(uint64 revealBlock);
    /// @notice A draw with this identifier exists and is not expired: it cannot be replaced.
    error InspectionDrawsDrawExists(bytes32 draw, DrawStatus status);
    /// @notice A re-commit after expiry must carry the same pools and picks.
    error InspectionDrawsRecommitMismatch(bytes32 draw);
    error InspectionDrawsUnknownDraw(bytes32 draw);
    /// @notice The reveal block has not been mined before this one yet.
    error InspectionDrawsTooEarly(bytes32 draw, uint64 revealBlock);
    /// @notice The draw was revealed already (or expired): its seed cannot change.
    error InspectionDrawsNotCommitted(bytes32 draw, DrawStatus status);
    /// @notice The reveal block's hash is out of reach; the draw can only expire.
    error InspectionDrawsRevealWindowPassed(bytes32 draw, uint64 revealBlock);
    /// @notice The reveal window is still open: the draw cannot expire yet.
    error InspectionDrawsNotExpired(bytes32 draw, uint64 lastRevealBlock);
    /// @notice Outcomes belong to revealed draws only.
    error InspectionDrawsNotRevealed(bytes32 draw, DrawStatus status);
    error InspectionDrawsInvalidOutcome(uint8 outcome);
    /// @notice This commitment's outcome in this draw is recorded already.
    error InspectionDrawsOutcomeRecorded(bytes32 draw, bytes32 commitment);
    /// @notice The draw's picks all have an outcome already.
    error InspectionDrawsTooManyOutcomes(bytes32 draw);

    // -- office (VERIFIER_ROLE) -----------------------------------------------------------

    /// @notice Commit a draw; or, for an expired one, commit it again (same pools and picks).
    function commitDraw(
        bytes32 draw,
        bytes32 poolHash,
        uint32 poolSize,
        bytes32 rosterHash,
        uint32 rosterSize,
        uint32 commitmentsToPick,
        uint32 inspectorsToPick,
        uint64 revealBlock
    ) external;

    /// @notice Record the outcome of inspecting `commitment`, picked by the revealed `draw`.
    function recordOutcome(bytes32 draw, bytes32 commitment, uint8 outcome, bytes32 documentHash) external;

    // -- anyone -----------------------------------------------------------------------------

    /// @notice Fix the seed of a committed draw, once its reveal block is mined and while its hash is available.
    function reveal(bytes32 draw) external returns (bytes32 seed);

    /// @notice Mark expired a committed draw whose reveal window passed with no reveal.
    function expire(bytes32 draw) external;

    // -- views --------------------------------------------------------------------------------

    function drawOf(bytes32 draw) external view returns (Draw memory);

    /// @notice The hash the seed mixes with the reveal block's hash: keccak256 of
    /// `abi.encode(draw, attempt, poolHash, poolSize, rosterHash, rosterSize, commitmentsToPick,
    /// inspectorsToPick, revealBlock)` of the draw's current attempt.
    function drawCommitment(bytes32 draw) external view returns (bytes32);

    function outcomeOf(bytes32 draw, bytes32 commitment) external view returns (Outcome);
}
