// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IInspectionDraws} from "./IInspectionDraws.sol";

/// @title InspectionDraws (v1)
/// @notice Implementation of {IInspectionDraws}. No proxy, no import: draws start afresh.
/// @dev Invariants: each custom:invariant tag below starts with its name. The stateful model
/// (tests/contracts/test_stateful_model.py) checks each after every step, in the Hypothesis invariant of
/// the same name (`-` as `_`); tests/contracts/test_natspec_invariants.py fails when one is not checked.
/// @custom:invariant terms-never-change Once committed, a draw's pool and roster (hashes and sizes) and
/// both pick counts never change, not even when it is committed again after expiring.
/// @custom:invariant attempts-count-the-commits `attempt` is 0 exactly while the draw is None and grows by
/// one with each commit, and only then; `revealBlock` changes only with a new attempt and lies at least
/// {MIN_REVEAL_DELAY} blocks after the block of that commit.
/// @custom:invariant seed-set-once The seed is zero until the draw is Revealed, then
/// `keccak256(abi.encodePacked(blockhash(revealBlock), drawCommitment))`, a block mined after the commit;
/// it never changes: Revealed is final.
/// @custom:invariant outcomes-at-most-the-picks A draw's `outcomes` are 0 until it is Revealed, never
/// exceed its `commitmentsToPick`, and count its recorded outcomes, one per commitment; a recorded outcome
/// never changes.
contract InspectionDraws is IInspectionDraws, AccessControlDefaultAdminRules, Pausable {
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice The reveal block lies at least this many blocks after the commit's block...
    uint64 public constant MIN_REVEAL_DELAY = 10;
    /// @notice ...and at most this many.
    uint64 public constant MAX_REVEAL_DELAY = 100_000;
    /// @notice blockhash(n) is available for the 256 most recent blocks only.
    uint64 public constant REVEAL_WINDOW = 256;

    mapping(bytes32 draw => Draw) private _draws;
    mapping(bytes32 draw => mapping(bytes32 commitment => Outcome)) private _outcomes;

    constructor(uint48 initialAdminDelay, address initialAdmin)
        AccessControlDefaultAdminRules(initialAdminDelay, initialAdmin)
    {}

    // -- office -----------------------------------------------------------------------------------

    /// @inheritdoc IInspectionDraws
    function commitDraw(
        bytes32 draw,
        bytes32 poolHash,
        uint32 poolSize,
        bytes32 rosterHash,
        uint32 rosterSize,
        uint32 commitmentsToPick,
        uint32 inspectorsToPick,
        uint64 revealBlock
    ) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        if (draw == bytes32(0)) revert InspectionDrawsZeroIdentifier();
        if (poolHash == bytes32(0) || rosterHash == bytes32(0)) revert InspectionDrawsZeroHash();
        if (commitmentsToPick == 0 || commitmentsToPick > poolSize) {
            revert InspectionDrawsInvalidPick(poolSize, commitmentsToPick);
        }
        if (inspectorsToPick == 0 || inspectorsToPick > rosterSize) {
            revert InspectionDrawsInvalidPick(rosterSize, inspectorsToPick);
        }
        if (revealBlock < block.number + MIN_REVEAL_DELAY || revealBlock > block.number + MAX_REVEAL_DELAY) {
            revert InspectionDrawsInvalidRevealBlock(revealBlock);
        }
        Draw storage d = _draws[draw];
        if (d.status == DrawStatus.Expired) {
            // The same draw again, with only a new reveal block: the expiry stays on record.
            if (
                d.poolHash != poolHash || d.poolSize != poolSize || d.rosterHash != rosterHash
                    || d.rosterSize != rosterSize || d.commitmentsToPick != commitmentsToPick
                    || d.inspectorsToPick != inspectorsToPick
            ) revert InspectionDrawsRecommitMismatch(draw);
        } else if (d.status != DrawStatus.None) {
            revert InspectionDrawsDrawExists(draw, d.status);
        } else {
            d.poolHash = poolHash;
            d.poolSize = poolSize;
            d.rosterHash = rosterHash;
            d.rosterSize = rosterSize;
            d.commitmentsToPick = commitmentsToPick;
            d.inspectorsToPick = inspectorsToPick;
        }
        uint32 attempt = d.attempt + 1;
        d.attempt = attempt;
        d.revealBlock = revealBlock;
        d.status = DrawStatus.Committed;
        emit DrawCommitted(
            draw,
            attempt,
            poolHash,
            poolSize,
            rosterHash,
            rosterSize,
            commitmentsToPick,
            inspectorsToPick,
            revealBlock,
            _commitment(draw, d)
        );
    }

    /// @inheritdoc IInspectionDraws
    function recordOutcome(
        bytes32 draw,
        bytes32 commitment,
        uint8 outcome,
        bytes32 documentHash
    ) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        if (commitment == bytes32(0)) revert InspectionDrawsZeroIdentifier();
        if (documentHash == bytes32(0)) revert InspectionDrawsZeroHash();
        if (outcome == uint8(Outcome.None) || outcome > uint8(type(Outcome).max)) {
            revert InspectionDrawsInvalidOutcome(outcome);
        }
        Draw storage d = _existing(draw);
        if (d.status != DrawStatus.Revealed) revert InspectionDrawsNotRevealed(draw, d.status);
        if (_outcomes[draw][commitment] != Outcome.None) revert InspectionDrawsOutcomeRecorded(draw, commitment);
        if (d.outcomes >= d.commitmentsToPick) revert InspectionDrawsTooManyOutcomes(draw);
        d.outcomes += 1;
        _outcomes[draw][commitment] = Outcome(outcome);
        emit InspectionRecorded(draw, commitment, Outcome(outcome), documentHash);
    }

    // -- anyone -----------------------------------------------------------------------------------

    /// @inheritdoc IInspectionDraws
    function reveal(bytes32 draw) external whenNotPaused returns (bytes32 seed) {
        Draw storage d = _committed(draw);
        uint64 revealBlock = d.revealBlock;
        if (block.number <= revealBlock) revert InspectionDrawsTooEarly(draw, revealBlock);
        if (block.number > revealBlock + REVEAL_WINDOW) revert InspectionDrawsRevealWindowPassed(draw, revealBlock);
        // Slither `weak-prng` does not apply: no modulo here; the seed's use off chain is unbiased
        // (rejection sampling), and its trust model is in the NatSpec of {IInspectionDraws}.
        bytes32 revealBlockHash = blockhash(revealBlock);
        seed = keccak256(abi.encodePacked(revealBlockHash, _commitment(draw, d)));
        d.seed = seed;
        d.status = DrawStatus.Revealed;
        emit DrawRevealed(draw, d.attempt, revealBlockHash, seed);
    }

    /// @inheritdoc IInspectionDraws
    function expire(bytes32 draw) external whenNotPaused {
        Draw storage d = _committed(draw);
        uint64 lastRevealBlock = d.revealBlock + REVEAL_WINDOW;
        if (block.number <= lastRevealBlock) revert InspectionDrawsNotExpired(draw, lastRevealBlock);
        d.status = DrawStatus.Expired;
        emit DrawExpired(draw, d.attempt, d.revealBlock);
    }

    // -- governance -------------------------------------------------------------------------------

    /// @notice Stop every write but the admin's (PAUSER_ROLE).
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resume writes (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // -- views ------------------------------------------------------------------------------------

    /// @inheritdoc IInspectionDraws
    function drawOf(bytes32 draw) external view returns (Draw memory) {
        return _draws[draw];
    }

    /// @inheritdoc IInspectionDraws
    function drawCommitment(bytes32 draw) external view returns (bytes32) {
        return _commitment(draw, _existing(draw));
    }

    /// @inheritdoc IInspectionDraws
    function outcomeOf(bytes32 draw, bytes32 commitment) external view returns (Outcome) {
        return _outcomes[draw][commitment];
    }

    // -- internals --------------------------------------------------------------------------------

    function _commitment(bytes32 draw, Draw storage d) private view returns (bytes32) {
        return keccak256(
            abi.encode(
                draw,
                d.attempt,
                d.poolHash,
                d.poolSize,
                d.rosterHash,
                d.rosterSize,
                d.commitmentsToPick,
                d.inspectorsToPick,
                d.revealBlock
            )
        );
    }

    function _existing(bytes32 draw) private view returns (Draw storage d) {
        d = _draws[draw];
        if (d.status == DrawStatus.None) revert InspectionDrawsUnknownDraw(draw);
    }

    function _committed(bytes32 draw) private view returns (Draw storage d) {
        d = _existing(draw);
        if (d.status != DrawStatus.Committed) revert InspectionDrawsNotCommitted(draw, d.status);
    }
}
