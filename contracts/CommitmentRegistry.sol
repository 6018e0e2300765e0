// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICommitmentRegistry} from "./ICommitmentRegistry.sol";

/// @title CommitmentRegistry (v3)
/// @notice Implementation of {ICommitmentRegistry}. No proxy: a new version is a new deployment plus an import.
/// @dev Invariants: each custom:invariant tag below starts with its name. The stateful model
/// (tests/contracts/test_stateful_model.py) checks each after every step, in the Hypothesis invariant of
/// the same name (`-` as `_`); tests/contracts/test_natspec_invariants.py fails when one is not checked.
/// @custom:invariant counters-are-consistent Every enterprise's counters keep
/// `fulfilledLate ≤ fulfilled ≤ recorded` and `repaired ≤ breached ≤ overdue`: {importCounters} requires
/// it of an import, and every live write keeps it (given imported counters that count the imported
/// commitments).
/// @custom:invariant counters-count-the-commitments Outside an import, an enterprise's `recorded` counts
/// its commitments, `fulfilled` those Fulfilled and `fulfilledLate` those of them late, `breached` those
/// Breached or Repaired, `repaired` those Repaired, and `overdue` every overdue mark (at least one for each
/// commitment with an `overdueAt`).
/// @custom:invariant recorded-terms-are-kept A commitment's `project`, `enterprise`, `kind`, `signedAt`
/// and `recordedAt` never change; its `dueAt` only moves later, by {extend}, and `extensions` only grows, to
/// at most {MAX_EXTENSIONS}.
/// @custom:invariant decisions-are-final Fulfilled and Repaired are final (status, `decidedAt` and
/// `fulfilledLate` never change after), Breached only becomes Repaired, and a commitment never returns to
/// Recorded or None.
/// @custom:invariant fields-agree-with-the-status Evidence is pending (`evidenceSubmittedAt` ≠ 0) only
/// while the commitment is open (Recorded, Extended or Overdue), `decidedAt` is set only when Fulfilled or
/// Repaired, `fulfilledLate` only when Fulfilled; Extended has an extension, Recorded no overdue mark (what
/// {importCommitments} requires of an import).
/// @custom:invariant times-in-order `signedAt` is at most `recordedAt` + {CLOCK_SKEW}; an overdue mark is
/// not before `recordedAt`; pending evidence and a decision are not dated before `signedAt`.
/// @custom:invariant late-means-after-the-due-date A commitment fulfilled on this deployment is
/// `fulfilledLate` exactly when its fact time (`decidedAt`) is after its `dueAt`.
contract CommitmentRegistry is ICommitmentRegistry, AccessControlDefaultAdminRules, Pausable {
    bytes32 public constant APPROVAL_ROLE = keccak256("APPROVAL_ROLE");
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice Tolerated clock skew between the attesting systems and the chain.
    uint64 public constant CLOCK_SKEW = 15 minutes;
    /// @notice A commitment is due no sooner than this after it was signed...
    uint64 public constant MIN_NOTICE = 1 days;
    /// @notice ...and, extensions included, no later than this.
    uint64 public constant MAX_HORIZON = 3650 days;
    /// @notice The most a due date may be extended.
    uint8 public constant MAX_EXTENSIONS = 3;
    /// @notice The longest grace period the admin may set.
    uint64 public constant MAX_GRACE_PERIOD = 90 days;
    /// @dev The shortest: with none, a commitment recorded after its due date could be marked
    /// overdue in the next block, before the office's evidence lands (finding 3).
    uint64 private constant _MIN_GRACE_PERIOD = 1 days;

    /// @dev One pause of the registry: the overdue clock does not run from `from` to `to`
    /// (zero while the pause lasts).
    struct Pause {
        uint64 from;
        uint64 to;
    }

    /// @dev Declared first so that it shares Pausable's storage word (read by `whenNotPaused`).
    bool private _importSealed;
    mapping(bytes32 commitment => Commitment) private _commitments;
    /// @dev Fingerprint of what was recorded, so an identical replay can be told from a conflict.
    mapping(bytes32 commitment => bytes32) private _fingerprints;
    mapping(bytes32 enterprise => EnterpriseCounters) private _counters;
    uint64 private _gracePeriod;
    /// @dev Every pause, oldest first: the grace period is extended by the paused seconds.
    Pause[] private _pauses;

    constructor(uint48 initialAdminDelay, address initialAdmin, uint64 gracePeriod)
        AccessControlDefaultAdminRules(initialAdminDelay, initialAdmin)
    {
        _setGracePeriod(gracePeriod);
    }

    // -- approval system ------------------------------------------------------------------------

    /// @inheritdoc ICommitmentRegistry
    function record(
        bytes32 commitment,
        bytes32 project,
        bytes32 enterprise,
        uint8 kind,
        uint64 signedAt,
        uint64 dueAt,
        bytes32 termsHash
    ) external onlyRole(APPROVAL_ROLE) whenNotPaused {
        _closeImport();
        _record(CommitmentInput(commitment, project, enterprise, kind, signedAt, dueAt, termsHash));
    }

    /// @inheritdoc ICommitmentRegistry
    function recordBatch(CommitmentInput[] calldata commitments) external onlyRole(APPROVAL_ROLE) whenNotPaused {
        uint256 count = commitments.length;
        if (count == 0) revert CommitmentRegistryEmptyBatch();
        _closeImport();
        for (uint256 i = 0; i < count; ++i) {
            _record(commitments[i]);
        }
    }

    /// @inheritdoc ICommitmentRegistry
    function fulfilByAcceptance(
        bytes32 commitment,
        bytes32 reportHash,
        uint64 acceptedAt
    ) external onlyRole(APPROVAL_ROLE) whenNotPaused {
        _closeImport();
        Commitment storage c = _open(commitment);
        if (c.kind != CommitmentKind.ShelterBuild) revert CommitmentRegistryNotShelterBuild(commitment);
        _fulfil(commitment, c, reportHash, acceptedAt, true);
    }

    // -- evidence ---------------------------------------------------------------------------------

    /// @inheritdoc ICommitmentRegistry
    function submitEvidence(bytes32 commitment, bytes32 evidenceHash, uint64 submittedAt) external whenNotPaused {
        if (!hasRole(APPROVAL_ROLE, msg.sender)) _checkRole(VERIFIER_ROLE);
        _closeImport();
        if (evidenceHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        Commitment storage c = _open(commitment);
        _checkFactTime(c.signedAt, submittedAt);
        // The earliest submission stops the clock; a later one adds evidence, not time.
        uint64 pending = c.evidenceSubmittedAt;
        if (pending == 0 || submittedAt < pending) c.evidenceSubmittedAt = submittedAt;
        emit CommitmentEvidenceSubmitted(commitment, evidenceHash, submittedAt);
    }

    // -- office decisions -------------------------------------------------------------------------

    /// @inheritdoc ICommitmentRegistry
    function rejectEvidence(bytes32 commitment, bytes32 reasonHash) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        _closeImport();
        if (reasonHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        Commitment storage c = _open(commitment);
        if (c.evidenceSubmittedAt == 0) revert CommitmentRegistryNoEvidencePending(commitment);
        c.evidenceSubmittedAt = 0;
        emit CommitmentEvidenceRejected(commitment, reasonHash);
    }

    /// @inheritdoc ICommitmentRegistry
    function fulfil(
        bytes32 commitment,
        bytes32 evidenceHash,
        uint64 fulfilledAt
    ) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        _closeImport();
        _fulfil(commitment, _open(commitment), evidenceHash, fulfilledAt, false);
    }

    /// @inheritdoc ICommitmentRegistry
    function breach(bytes32 commitment, bytes32 reasonHash) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        _closeImport();
        if (reasonHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        Commitment storage c = _existing(commitment);
        if (c.status != CommitmentStatus.Overdue) revert CommitmentRegistryInvalidTransition(commitment, c.status);
        if (c.evidenceSubmittedAt != 0) revert CommitmentRegistryEvidencePending(commitment);
        c.status = CommitmentStatus.Breached;
        EnterpriseCounters storage counters = _counters[c.enterprise];
        counters.breached = _incremented(counters.breached, c.enterprise);
        emit CommitmentBreached(commitment, reasonHash);
    }

    /// @inheritdoc ICommitmentRegistry
    function repair(
        bytes32 commitment,
        bytes32 evidenceHash,
        uint64 repairedAt
    ) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        _closeImport();
        if (evidenceHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        Commitment storage c = _existing(commitment);
        if (c.status != CommitmentStatus.Breached) revert CommitmentRegistryInvalidTransition(commitment, c.status);
        // A repair answers the breach, which came after the overdue mark: it is not dated before the mark.
        _checkFactTime(c.overdueAt > c.signedAt ? c.overdueAt : c.signedAt, repairedAt);
        c.status = CommitmentStatus.Repaired;
        c.decidedAt = repairedAt;
        EnterpriseCounters storage counters = _counters[c.enterprise];
        counters.repaired = _incremented(counters.repaired, c.enterprise);
        emit CommitmentRepaired(commitment, evidenceHash, repairedAt);
    }

    /// @inheritdoc ICommitmentRegistry
    function extend(
        bytes32 commitment,
        uint64 newDueAt,
        bytes32 documentHash
    ) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        _closeImport();
        if (documentHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        Commitment storage c = _open(commitment);
        if (c.extensions >= MAX_EXTENSIONS) revert CommitmentRegistryTooManyExtensions(commitment);
        // Slither `timestamp` (low), accepted: a new due date must lie ahead; seconds of drift are harmless.
        // slither-disable-next-line timestamp
        if (newDueAt <= c.dueAt || newDueAt <= block.timestamp || newDueAt > c.signedAt + MAX_HORIZON) {
            revert CommitmentRegistryInvalidDueDate(newDueAt);
        }
        uint8 extensions = c.extensions + 1;
        c.dueAt = newDueAt;
        c.extensions = extensions;
        c.status = CommitmentStatus.Extended;
        emit CommitmentExtended(commitment, newDueAt, documentHash, extensions);
    }

    // -- anyone -----------------------------------------------------------------------------------

    /// @inheritdoc ICommitmentRegistry
    function markOverdue(bytes32 commitment) external whenNotPaused {
        _checkImportSealed();
        Commitment storage c = _commitments[commitment];
        bytes4 blocker = _overdueBlocker(c);
        if (blocker != bytes4(0)) _revertNotOverdue(commitment, c, blocker);
        _markOverdue(commitment, c);
    }

    /// @inheritdoc ICommitmentRegistry
    function markOverdueBatch(bytes32[] calldata commitments) external whenNotPaused returns (uint256 marked) {
        uint256 count = commitments.length;
        if (count == 0) revert CommitmentRegistryEmptyBatch();
        _checkImportSealed();
        for (uint256 i = 0; i < count; ++i) {
            bytes32 commitment = commitments[i];
            Commitment storage c = _commitments[commitment];
            bytes4 blocker = _overdueBlocker(c);
            if (blocker == CommitmentRegistryUnknownCommitment.selector) continue; // made-up ids: no event
            if (blocker != bytes4(0)) {
                emit CommitmentOverdueSkipped(commitment, blocker);
            } else {
                _markOverdue(commitment, c);
                ++marked;
            }
        }
    }

    // -- governance -------------------------------------------------------------------------------

    /// @notice Stop every write but the admin's (PAUSER_ROLE); the overdue clock stops too.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        _pauses.push(Pause(uint64(block.timestamp), 0));
    }

    /// @notice Resume writes (PAUSER_ROLE); grace periods are extended by the pause's length.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
        _pauses[_pauses.length - 1].to = uint64(block.timestamp);
    }

    /// @inheritdoc ICommitmentRegistry
    function setOverdueGracePeriod(uint64 gracePeriod) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setGracePeriod(gracePeriod);
    }

    /// @inheritdoc ICommitmentRegistry
    function importCommitments(CommitmentImport[] calldata commitments) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _checkImportOpen(commitments.length);
        for (uint256 i = 0; i < commitments.length; ++i) {
            _importCommitment(commitments[i]);
        }
    }

    /// @inheritdoc ICommitmentRegistry
    function importCounters(CountersImport[] calldata counters) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _checkImportOpen(counters.length);
        for (uint256 i = 0; i < counters.length; ++i) {
            CountersImport calldata entry = counters[i];
            if (entry.enterprise == bytes32(0)) revert CommitmentRegistryZeroIdentifier();
            // Checked in full: an import never overwrites a count, whichever it is.
            EnterpriseCounters storage here = _counters[entry.enterprise];
            if (
                here.recorded != 0 || here.fulfilled != 0 || here.fulfilledLate != 0 || here.overdue != 0
                    || here.breached != 0 || here.repaired != 0
            ) revert CommitmentRegistryCountersExist(entry.enterprise);
            EnterpriseCounters calldata n = entry.counters;
            if (
                n.recorded == 0 || n.fulfilledLate > n.fulfilled || n.fulfilled > n.recorded || n.breached > n.overdue
                    || n.repaired > n.breached
            ) revert CommitmentRegistryInvalidCounters(entry.enterprise);
            _counters[entry.enterprise] = n;
            emit CountersImported(
                entry.enterprise, n.recorded, n.fulfilled, n.fulfilledLate, n.overdue, n.breached, n.repaired
            );
        }
    }

    /// @inheritdoc ICommitmentRegistry
    function sealImport() external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_importSealed) revert CommitmentRegistryImportSealed();
        _closeImport();
    }

    // -- views ------------------------------------------------------------------------------------

    /// @inheritdoc ICommitmentRegistry
    function commitmentOf(bytes32 commitment) external view returns (Commitment memory) {
        return _commitments[commitment];
    }

    /// @inheritdoc ICommitmentRegistry
    function countersOf(bytes32 enterprise) external view returns (EnterpriseCounters memory) {
        return _counters[enterprise];
    }

    /// @inheritdoc ICommitmentRegistry
    function overdueGracePeriod() external view returns (uint64) {
        return _gracePeriod;
    }

    /// @inheritdoc ICommitmentRegistry
    function importSealed() external view returns (bool) {
        return _importSealed;
    }

    // -- internals --------------------------------------------------------------------------------

    /// @dev The approval gateway and the office's inspectors are separate duties.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        if (role == APPROVAL_ROLE && hasRole(VERIFIER_ROLE, account)) {
            revert CommitmentRegistryConflictingRole(account, role, VERIFIER_ROLE);
        }
        if (role == VERIFIER_ROLE && hasRole(APPROVAL_ROLE, account)) {
            revert CommitmentRegistryConflictingRole(account, role, APPROVAL_ROLE);
        }
        return super._grantRole(role, account);
    }

    function _record(CommitmentInput memory input) private {
        if (input.commitment == bytes32(0) || input.project == bytes32(0) || input.enterprise == bytes32(0)) {
            revert CommitmentRegistryZeroIdentifier();
        }
        if (input.termsHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        if (input.kind > uint8(type(CommitmentKind).max)) revert CommitmentRegistryInvalidKind(input.kind);
        bytes32 fingerprint = _fingerprint(input);
        bytes32 recorded = _fingerprints[input.commitment];
        if (recorded == fingerprint) return; // an identical replay: already recorded
        if (recorded != bytes32(0)) revert CommitmentRegistryAlreadyRecorded(input.commitment);
        // Slither `timestamp` (low), accepted: an upper bound with a skew allowance, not a race.
        // slither-disable-next-line timestamp
        if (input.signedAt == 0 || input.signedAt > block.timestamp + CLOCK_SKEW) {
            revert CommitmentRegistryInvalidTime(input.signedAt);
        }
        // A commitment signed earlier is recorded even when already past due: the write's delay is ours.
        if (input.dueAt < input.signedAt + MIN_NOTICE || input.dueAt > input.signedAt + MAX_HORIZON) {
            revert CommitmentRegistryInvalidDueDate(input.dueAt);
        }
        _fingerprints[input.commitment] = fingerprint;
        Commitment storage c = _commitments[input.commitment];
        c.project = input.project;
        c.enterprise = input.enterprise;
        c.kind = CommitmentKind(input.kind);
        c.status = CommitmentStatus.Recorded;
        c.signedAt = input.signedAt;
        c.dueAt = input.dueAt;
        c.recordedAt = uint64(block.timestamp);
        EnterpriseCounters storage counters = _counters[input.enterprise];
        counters.recorded = _incremented(counters.recorded, input.enterprise);
        emit CommitmentRecorded(
            input.commitment,
            input.project,
            input.enterprise,
            CommitmentKind(input.kind),
            input.signedAt,
            input.dueAt,
            input.termsHash
        );
    }

    /// @dev Late is judged by when the fact happened: pending evidence's submission, else `factAt`.
    function _fulfil(bytes32 commitment, Commitment storage c, bytes32 evidenceHash, uint64 factAt, bool byAcceptance)
        private
    {
        if (evidenceHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        _checkFactTime(c.signedAt, factAt);
        uint64 pending = c.evidenceSubmittedAt;
        uint64 fulfilledAt = pending != 0 ? pending : factAt;
        bool late = fulfilledAt > c.dueAt;
        c.status = CommitmentStatus.Fulfilled;
        c.fulfilledLate = late;
        c.evidenceSubmittedAt = 0;
        c.decidedAt = fulfilledAt;
        EnterpriseCounters storage counters = _counters[c.enterprise];
        counters.fulfilled = _incremented(counters.fulfilled, c.enterprise);
        if (late) counters.fulfilledLate = _incremented(counters.fulfilledLate, c.enterprise);
        emit CommitmentFulfilled(commitment, evidenceHash, fulfilledAt, late, byAcceptance);
    }

    function _markOverdue(bytes32 commitment, Commitment storage c) private {
        c.status = CommitmentStatus.Overdue;
        c.overdueAt = uint64(block.timestamp);
        EnterpriseCounters storage counters = _counters[c.enterprise];
        counters.overdue = _incremented(counters.overdue, c.enterprise);
        emit CommitmentMarkedOverdue(commitment, c.dueAt);
    }

    /// @dev The selector of the error that keeps `c` from being marked overdue now, or zero.
    function _overdueBlocker(Commitment storage c) private view returns (bytes4) {
        CommitmentStatus s = c.status;
        if (s == CommitmentStatus.None) return CommitmentRegistryUnknownCommitment.selector;
        if (s != CommitmentStatus.Recorded && s != CommitmentStatus.Extended) {
            return CommitmentRegistryInvalidTransition.selector;
        }
        if (c.evidenceSubmittedAt != 0) return CommitmentRegistryEvidencePending.selector;
        // Slither `timestamp` (low), accepted: the grace period dwarfs any drift of the block time.
        // slither-disable-next-line timestamp
        if (block.timestamp <= _overdueFrom(c)) return CommitmentRegistryNotYetDue.selector;
        return bytes4(0);
    }

    function _revertNotOverdue(bytes32 commitment, Commitment storage c, bytes4 blocker) private view {
        if (blocker == CommitmentRegistryUnknownCommitment.selector) {
            revert CommitmentRegistryUnknownCommitment(commitment);
        }
        if (blocker == CommitmentRegistryInvalidTransition.selector) {
            revert CommitmentRegistryInvalidTransition(commitment, c.status);
        }
        if (blocker == CommitmentRegistryEvidencePending.selector) revert CommitmentRegistryEvidencePending(commitment);
        revert CommitmentRegistryNotYetDue(commitment, _overdueFrom(c));
    }

    /// @dev The last second on which `c` is not yet overdue: the later of its due date and the
    /// time it was recorded, plus the grace period, plus every paused second since then. (Bounded
    /// far below 2^64: times are block times or within MAX_HORIZON of one, pauses lie in the past.)
    function _overdueFrom(Commitment storage c) private view returns (uint64) {
        // Slither `timestamp` (low): picks the later of two stored times; no race. Accepted.
        // slither-disable-next-line timestamp
        uint64 start = c.dueAt > c.recordedAt ? c.dueAt : c.recordedAt;
        uint64 paused = 0;
        // Newest first; pauses that ended by `start` did not hold this commitment's clock.
        for (uint256 i = _pauses.length; i > 0; --i) {
            Pause memory p = _pauses[i - 1];
            // Slither `timestamp` (low): compares stored block times; no race. Accepted.
            // slither-disable-next-line timestamp
            if (p.to <= start) break;
            paused += p.to - (p.from > start ? p.from : start);
        }
        return start + _gracePeriod + paused;
    }

    function _importCommitment(CommitmentImport calldata i) private {
        if (i.commitment == bytes32(0) || i.project == bytes32(0) || i.enterprise == bytes32(0)) {
            revert CommitmentRegistryZeroIdentifier();
        }
        if (i.termsHash == bytes32(0)) revert CommitmentRegistryZeroHash();
        if (i.kind > uint8(type(CommitmentKind).max)) revert CommitmentRegistryInvalidKind(i.kind);
        if (i.status == uint8(CommitmentStatus.None) || i.status > uint8(type(CommitmentStatus).max)) {
            revert CommitmentRegistryInvalidTransition(i.commitment, CommitmentStatus.None);
        }
        if (_fingerprints[i.commitment] != bytes32(0)) revert CommitmentRegistryAlreadyRecorded(i.commitment);
        _checkImportedTimes(i);
        if (i.extensions > MAX_EXTENSIONS) revert CommitmentRegistryTooManyExtensions(i.commitment);
        _checkImportedStatus(i);
        _fingerprints[i.commitment] = _fingerprint(
            CommitmentInput(i.commitment, i.project, i.enterprise, i.kind, i.signedAt, i.dueAt, i.termsHash)
        );
        Commitment storage c = _commitments[i.commitment];
        c.project = i.project;
        c.enterprise = i.enterprise;
        c.kind = CommitmentKind(i.kind);
        c.status = CommitmentStatus(i.status);
        c.fulfilledLate = i.fulfilledLate;
        c.extensions = i.extensions;
        c.signedAt = i.signedAt;
        c.dueAt = i.dueAt;
        c.evidenceSubmittedAt = i.evidenceSubmittedAt;
        c.decidedAt = i.decidedAt;
        c.recordedAt = i.recordedAt;
        c.overdueAt = i.overdueAt;
        emit CommitmentImported(
            i.commitment,
            i.project,
            i.enterprise,
            CommitmentKind(i.kind),
            CommitmentStatus(i.status),
            i.fulfilledLate,
            i.extensions,
            i.signedAt,
            i.dueAt,
            i.termsHash,
            i.recordedAt,
            i.overdueAt,
            i.evidenceSubmittedAt,
            i.decidedAt
        );
    }

    /// @dev An imported commitment's times: what any earlier version could hold (v2 imported v1's
    /// records unchecked, and dated facts before an overdue mark), bounded only where v3's own
    /// arithmetic and clocks need it. See {ICommitmentRegistry-importCommitments}.
    function _checkImportedTimes(CommitmentImport calldata i) private view {
        // Slither `timestamp` (low), accepted: upper bounds with a skew allowance, not a race.
        // slither-disable-start timestamp
        if (i.recordedAt == 0 || i.recordedAt > block.timestamp) revert CommitmentRegistryInvalidTime(i.recordedAt);
        if (i.signedAt == 0 || i.signedAt > i.recordedAt + CLOCK_SKEW) revert CommitmentRegistryInvalidTime(i.signedAt);
        // The overdue clock adds the grace period to the due date: it must not overflow.
        if (i.dueAt > type(uint64).max - MAX_GRACE_PERIOD) revert CommitmentRegistryInvalidDueDate(i.dueAt);
        if (i.overdueAt != 0 && (i.overdueAt < i.recordedAt || i.overdueAt > block.timestamp)) {
            revert CommitmentRegistryInvalidTime(i.overdueAt);
        }
        uint64 latest = uint64(block.timestamp) + CLOCK_SKEW;
        if (i.evidenceSubmittedAt != 0 && (i.evidenceSubmittedAt < i.signedAt || i.evidenceSubmittedAt > latest)) {
            revert CommitmentRegistryInvalidTime(i.evidenceSubmittedAt);
        }
        if (i.decidedAt != 0 && (i.decidedAt < i.signedAt || i.decidedAt > latest)) {
            revert CommitmentRegistryInvalidTime(i.decidedAt);
        }
        // slither-disable-end timestamp
    }

    /// @dev An imported commitment's fields agree with its status as no earlier version could
    /// have contradicted (the times v2 never knew, overdue mark and decision, may be zero).
    function _checkImportedStatus(CommitmentImport calldata i) private pure {
        CommitmentStatus s = CommitmentStatus(i.status);
        bool open = s == CommitmentStatus.Recorded || s == CommitmentStatus.Extended || s == CommitmentStatus.Overdue;
        bool decided = s == CommitmentStatus.Fulfilled || s == CommitmentStatus.Repaired;
        if (
            (i.fulfilledLate && s != CommitmentStatus.Fulfilled) || (i.evidenceSubmittedAt != 0 && !open)
                || (i.decidedAt != 0 && !decided) || (s == CommitmentStatus.Extended && i.extensions == 0)
                || (s == CommitmentStatus.Recorded && i.overdueAt != 0)
        ) revert CommitmentRegistryInvalidImport(i.commitment);
    }

    function _setGracePeriod(uint64 gracePeriod) private {
        if (gracePeriod < _MIN_GRACE_PERIOD || gracePeriod > MAX_GRACE_PERIOD) {
            revert CommitmentRegistryInvalidGracePeriod(gracePeriod);
        }
        _gracePeriod = gracePeriod;
        emit OverdueGracePeriodSet(gracePeriod);
    }

    function _checkImportOpen(uint256 count) private view {
        if (_importSealed) revert CommitmentRegistryImportSealed();
        if (count == 0) revert CommitmentRegistryEmptyBatch();
    }

    /// @dev Anyone may mark overdue, so marking never ends the import window (an outsider could
    /// end a migration); it waits for the window to close instead.
    function _checkImportSealed() private view {
        if (!_importSealed) revert CommitmentRegistryImportOpen();
    }

    /// @dev The first live write of a role-holder (or {sealImport}) ends the import window for good.
    function _closeImport() private {
        if (!_importSealed) {
            _importSealed = true;
            emit ImportSealed();
        }
    }

    function _incremented(uint32 count, bytes32 enterprise) private pure returns (uint32) {
        if (count == type(uint32).max) revert CommitmentRegistryCounterOverflow(enterprise);
        return count + 1;
    }

    /// @dev A fact happens at or after `earliest` (the signing; for a repair, the overdue mark)
    /// and not in the future beyond the skew.
    function _checkFactTime(uint64 earliest, uint64 time) private view {
        // Slither `timestamp` (low), accepted: an upper bound with a skew allowance, not a race.
        // slither-disable-next-line timestamp
        if (time < earliest || time > block.timestamp + CLOCK_SKEW) revert CommitmentRegistryInvalidTime(time);
    }

    function _existing(bytes32 commitment) private view returns (Commitment storage c) {
        c = _commitments[commitment];
        if (c.status == CommitmentStatus.None) revert CommitmentRegistryUnknownCommitment(commitment);
    }

    /// @dev A commitment still awaiting a decision: recorded, extended or overdue.
    function _open(bytes32 commitment) private view returns (Commitment storage c) {
        c = _existing(commitment);
        CommitmentStatus s = c.status;
        if (s != CommitmentStatus.Recorded && s != CommitmentStatus.Extended && s != CommitmentStatus.Overdue) {
            revert CommitmentRegistryInvalidTransition(commitment, s);
        }
    }

    function _fingerprint(CommitmentInput memory input) private pure returns (bytes32) {
        return keccak256(
            abi.encode(input.project, input.enterprise, input.kind, input.signedAt, input.dueAt, input.termsHash)
        );
    }
}
