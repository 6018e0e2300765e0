// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title ICommitmentRegistry
 * @notice Commitments enterprises sign under the commitment-based approval system (承诺制),
 * and their fulfilment or breach, which becomes the enterprise's credit record (信用记录).
 * @dev Lifecycle: Recorded → Fulfilled | Overdue → Breached → Repaired, plus Extended (a new
 * due date). Overdue is a fact anyone may establish once the due date has passed; fulfil,
 * breach, extend and repair are decided by VERIFIER_ROLE. Commitments are
 * `keccak256(commitment_number)`, projects `keccak256(project_code)`, enterprises
 * `HMAC-SHA256(pepper, USCC)`, documents their SHA-256. No personal data.
 */
interface ICommitmentRegistry {
    /// @notice shelter_build, fee_payment, materials (容缺受理), peacetime_use (平时使用登记).
    enum CommitmentKind {
        ShelterBuild,
        FeePayment,
        Materials,
        PeacetimeUse
    }

    enum CommitmentStatus {
        None,
        Recorded,
        Fulfilled,
        Overdue,
        Breached,
        Repaired,
        Extended
    }

    struct Commitment {
        bytes32 project;
        bytes32 enterprise;
        uint64 dueAt;
        uint64 recordedAt;
        CommitmentKind kind;
        CommitmentStatus status;
        bool fulfilledLate;
    }

    /// @notice One commitment to record, for batch recording.
    struct CommitmentInput {
        bytes32 commitment;
        bytes32 project;
        bytes32 enterprise;
        uint8 kind;
        uint64 dueAt;
        bytes32 termsHash;
    }

    /// @notice Per-enterprise counts; `fulfilledLate` is included in `fulfilled`.
    struct EnterpriseCounters {
        uint32 recorded;
        uint32 fulfilled;
        uint32 fulfilledLate;
        uint32 overdue;
        uint32 breached;
        uint32 repaired;
    }

    event CommitmentRecorded(
        bytes32 indexed commitment,
        bytes32 indexed project,
        bytes32 indexed enterprise,
        CommitmentKind kind,
        uint64 dueAt,
        bytes32 termsHash
    );
    event CommitmentFulfilled(bytes32 indexed commitment, bytes32 evidenceHash, bool late);
    event CommitmentMarkedOverdue(bytes32 indexed commitment);
    event CommitmentBreached(bytes32 indexed commitment, bytes32 reasonHash);
    event CommitmentRepaired(bytes32 indexed commitment, bytes32 evidenceHash);
    event CommitmentExtended(bytes32 indexed commitment, uint64 newDueAt, bytes32 documentHash);

    /// @notice A commitment, project or enterprise identifier was zero.
    error CommitmentRegistryZeroIdentifier();
    /// @notice The kind is not one of {CommitmentKind}.
    error CommitmentRegistryInvalidKind(uint8 kind);
    /// @notice A due date that is not after now (and after the current one, when extending).
    error CommitmentRegistryInvalidDueDate(uint64 dueAt);
    /// @notice This commitment number was recorded before.
    error CommitmentRegistryAlreadyRecorded(bytes32 commitment);
    /// @notice No commitment with this identifier.
    error CommitmentRegistryUnknownCommitment(bytes32 commitment);
    /// @notice The commitment's status does not allow this step.
    error CommitmentRegistryInvalidTransition(bytes32 commitment, CommitmentStatus status);
    /// @notice The due date has not passed yet.
    error CommitmentRegistryNotYetDue(bytes32 commitment, uint64 dueAt);
    /// @notice A batch with no entries.
    error CommitmentRegistryEmptyBatch();

    /// @notice Record a signed commitment (APPROVAL_ROLE).
    function record(
        bytes32 commitment,
        bytes32 project,
        bytes32 enterprise,
        uint8 kind,
        uint64 dueAt,
        bytes32 termsHash
    ) external;

    /// @notice Record many commitments at once (APPROVAL_ROLE); any bad entry reverts the batch.
    function recordBatch(CommitmentInput[] calldata commitments) external;

    /// @notice The commitment was kept (VERIFIER_ROLE); late when after its due date.
    function fulfil(bytes32 commitment, bytes32 evidenceHash) external;

    /// @notice Mark a commitment whose due date has passed as overdue (anyone).
    function markOverdue(bytes32 commitment) external;

    /// @notice {markOverdue} for many commitments; any ineligible entry reverts the batch.
    function markOverdueBatch(bytes32[] calldata commitments) external;

    /// @notice The commitment was broken (VERIFIER_ROLE).
    function breach(bytes32 commitment, bytes32 reasonHash) external;

    /// @notice A breached commitment was put right (VERIFIER_ROLE).
    function repair(bytes32 commitment, bytes32 evidenceHash) external;

    /// @notice Move the due date later, approved with a document (VERIFIER_ROLE).
    function extend(bytes32 commitment, uint64 newDueAt, bytes32 documentHash) external;

    function commitmentOf(bytes32 commitment) external view returns (Commitment memory);

    function countersOf(bytes32 enterprise) external view returns (EnterpriseCounters memory);
}
