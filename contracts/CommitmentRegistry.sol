// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICommitmentRegistry} from "./ICommitmentRegistry.sol";

/// @title CommitmentRegistry
/// @notice Implementation of {ICommitmentRegistry}. No proxy: a new version is a new deployment.
contract CommitmentRegistry is ICommitmentRegistry, AccessControl, Pausable {
    bytes32 public constant APPROVAL_ROLE = keccak256("APPROVAL_ROLE");
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    mapping(bytes32 commitment => Commitment) private _commitments;
    mapping(bytes32 enterprise => EnterpriseCounters) private _counters;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc ICommitmentRegistry
    function record(
        bytes32 commitment,
        bytes32 project,
        bytes32 enterprise,
        uint8 kind,
        uint64 dueAt,
        bytes32 termsHash
    ) external onlyRole(APPROVAL_ROLE) whenNotPaused {
        _record(commitment, project, enterprise, kind, dueAt, termsHash);
    }

    /// @inheritdoc ICommitmentRegistry
    function recordBatch(CommitmentInput[] calldata commitments) external onlyRole(APPROVAL_ROLE) whenNotPaused {
        uint256 count = commitments.length;
        if (count == 0) revert CommitmentRegistryEmptyBatch();
        for (uint256 i = 0; i < count; ++i) {
            CommitmentInput calldata c = commitments[i];
            _record(c.commitment, c.project, c.enterprise, c.kind, c.dueAt, c.termsHash);
        }
    }

    /// @inheritdoc ICommitmentRegistry
    function fulfil(bytes32 commitment, bytes32 evidenceHash) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        Commitment storage c = _open(commitment);
        bool late = block.timestamp > c.dueAt;
        c.status = CommitmentStatus.Fulfilled;
        c.fulfilledLate = late;
        EnterpriseCounters storage counters = _counters[c.enterprise];
        counters.fulfilled += 1;
        if (late) counters.fulfilledLate += 1;
        emit CommitmentFulfilled(commitment, evidenceHash, late);
    }

    /// @inheritdoc ICommitmentRegistry
    function markOverdue(bytes32 commitment) external whenNotPaused {
        _markOverdue(commitment);
    }

    /// @inheritdoc ICommitmentRegistry
    function markOverdueBatch(bytes32[] calldata commitments) external whenNotPaused {
        uint256 count = commitments.length;
        if (count == 0) revert CommitmentRegistryEmptyBatch();
        for (uint256 i = 0; i < count; ++i) {
            _markOverdue(commitments[i]);
        }
    }

    /// @inheritdoc ICommitmentRegistry
    function breach(bytes32 commitment, bytes32 reasonHash) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        Commitment storage c = _open(commitment);
        c.status = CommitmentStatus.Breached;
        _counters[c.enterprise].breached += 1;
        emit CommitmentBreached(commitment, reasonHash);
    }

    /// @inheritdoc ICommitmentRegistry
    function repair(bytes32 commitment, bytes32 evidenceHash) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        Commitment storage c = _existing(commitment);
        if (c.status != CommitmentStatus.Breached) revert CommitmentRegistryInvalidTransition(commitment, c.status);
        c.status = CommitmentStatus.Repaired;
        _counters[c.enterprise].repaired += 1;
        emit CommitmentRepaired(commitment, evidenceHash);
    }

    /// @inheritdoc ICommitmentRegistry
    function extend(
        bytes32 commitment,
        uint64 newDueAt,
        bytes32 documentHash
    ) external onlyRole(VERIFIER_ROLE) whenNotPaused {
        Commitment storage c = _open(commitment);
        if (newDueAt <= block.timestamp || newDueAt <= c.dueAt) revert CommitmentRegistryInvalidDueDate(newDueAt);
        c.dueAt = newDueAt;
        c.status = CommitmentStatus.Extended;
        emit CommitmentExtended(commitment, newDueAt, documentHash);
    }

    /// @notice Stop every write (PAUSER_ROLE).
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resume writes (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc ICommitmentRegistry
    function commitmentOf(bytes32 commitment) external view returns (Commitment memory) {
        return _commitments[commitment];
    }

    /// @inheritdoc ICommitmentRegistry
    function countersOf(bytes32 enterprise) external view returns (EnterpriseCounters memory) {
        return _counters[enterprise];
    }

    function _record(
        bytes32 commitment,
        bytes32 project,
        bytes32 enterprise,
        uint8 kind,
        uint64 dueAt,
        bytes32 termsHash
    ) private {
        if (commitment == bytes32(0) || project == bytes32(0) || enterprise == bytes32(0)) {
            revert CommitmentRegistryZeroIdentifier();
        }
        if (kind > uint8(type(CommitmentKind).max)) revert CommitmentRegistryInvalidKind(kind);
        if (dueAt <= block.timestamp) revert CommitmentRegistryInvalidDueDate(dueAt);
        Commitment storage c = _commitments[commitment];
        if (c.status != CommitmentStatus.None) revert CommitmentRegistryAlreadyRecorded(commitment);
        c.project = project;
        c.enterprise = enterprise;
        c.dueAt = dueAt;
        c.recordedAt = uint64(block.timestamp);
        c.kind = CommitmentKind(kind);
        c.status = CommitmentStatus.Recorded;
        _counters[enterprise].recorded += 1;
        emit CommitmentRecorded(commitment, project, enterprise, CommitmentKind(kind), dueAt, termsHash);
    }

    function _markOverdue(bytes32 commitment) private {
        Commitment storage c = _existing(commitment);
        if (c.status != CommitmentStatus.Recorded && c.status != CommitmentStatus.Extended) {
            revert CommitmentRegistryInvalidTransition(commitment, c.status);
        }
        if (block.timestamp <= c.dueAt) revert CommitmentRegistryNotYetDue(commitment, c.dueAt);
        c.status = CommitmentStatus.Overdue;
        _counters[c.enterprise].overdue += 1;
        emit CommitmentMarkedOverdue(commitment);
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
}
