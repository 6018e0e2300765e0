// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title ICommitmentRegistry (v3)
 * @notice Commitments enterprises sign under the commitment-based approval system (承诺制),
 * and whether each was kept, which becomes the enterprise's credit record (信用记录).
 *
 * @dev Lifecycle: Recorded → Fulfilled | Overdue → Breached → Repaired; Extended (a new due
 * date, at most {MAX_EXTENSIONS} times) from Recorded, Extended or Overdue; Fulfilled from
 * Recorded, Extended or Overdue. Breach only from Overdue.
 *
 * Credit-fair timing: the chain judges the time a fact happened, not the time its transaction
 * lands. Every fact carries its time (signed, evidence submitted, fulfilled, accepted,
 * repaired), attested by the role that writes it and bounded: not before the commitment was
 * signed and not after the block time plus a small clock skew. Evidence and fulfilments
 * ({submitEvidence}, {fulfil}, {fulfilByAcceptance}) may be dated before an overdue mark and
 * reach the chain after it (issue 17: evidence that came in time but was written late): the
 * mark (`overdueAt`) and its count stay, and the fulfilment is judged against the due date as
 * any other (on time when its fact time is at or before the due date), so the record holds
 * both the mark and the fact that contradicts it; the credit rules give the mark's weight back
 * (`overdue_mark_voided`, docs/credit-and-audit.md). A {repair} answers a breach, which comes
 * after the mark: it is not dated before the commitment's latest overdue mark. A fulfilment
 * dated after the mark is late unless {extend} (allowed from Overdue) moved the due date past
 * it, in which case it is on time.
 * A fulfilment is late when its fact time is after the due date; the fact time is the time
 * evidence was submitted, when evidence is pending, else the fulfilment's own time.
 *
 * Overdue clock (v3). Pending evidence stops it: {markOverdue} is refused while evidence is
 * pending. The grace period (set by the admin, bounded) runs from the later of the due date and
 * `recordedAt`, the block time the commitment became known on chain (a commitment recorded
 * after its due date, which is allowed on purpose, gets the whole grace for the office's
 * evidence to land), and it does not run while the registry is paused: a pause extends it by
 * the pause's length (the paused seconds after that start), not by a whole grace. A commitment
 * signed earlier, even one already past due, can still be recorded.
 *
 * No panics: every arithmetic overflow is a named error.
 *
 * Commitments are `keccak256(commitment_number)`, projects `keccak256(project_code)`,
 * enterprises `HMAC-SHA256(pepper, USCC)`, documents their SHA-256. No personal data.
 *
 * Governance: DEFAULT_ADMIN_ROLE follows AccessControlDefaultAdminRules; APPROVAL_ROLE and
 * VERIFIER_ROLE are never held by the same account.
 *
 * Migration (v3). The admin imports commitments and enterprise counters only while the import
 * is open: before the first live write of a role-holder (any write of the approval system or
 * the office; the grace period is set-up) and before {sealImport}. That first live write seals
 * the import by itself ({ImportSealed}); a deployment with no import planned seals it at once.
 * {markOverdue} and {markOverdueBatch}, open to anyone, never seal it: while the import is open
 * they revert with {CommitmentRegistryImportOpen} (an outsider cannot end a migration, nor mark
 * an imported commitment before its enterprise's counters are imported). Imports are bounded exactly as live writes are. Counters come only from
 * {importCounters}, checked in full: every field consistent, none of the enterprise's six
 * counters already non-zero here (nothing is overwritten).
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

    /// @notice A commitment as the views report it.
    struct Commitment {
        bytes32 project;
        bytes32 enterprise;
        CommitmentKind kind;
        CommitmentStatus status;
        bool fulfilledLate;
        uint8 extensions;
        uint64 signedAt;
        uint64 dueAt;
        uint64 evidenceSubmittedAt; // non-zero while evidence is pending
        uint64 decidedAt; // fact time of the fulfilment, or of the latest repair
        uint64 recordedAt; // block time the commitment became known on chain (v3)
        uint64 overdueAt; // block time of the latest overdue mark, zero if never marked (v3)
    }

    /// @notice One commitment to record, for {recordBatch}.
    struct CommitmentInput {
        bytes32 commitment;
        bytes32 project;
        bytes32 enterprise;
        uint8 kind;
        uint64 signedAt;
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

    /// @notice A commitment carried over by {importCommitments}, as it stood on the earlier
    /// version. The v3 fields carry the times v2's events tell: `recordedAt` the block time of
    /// its CommitmentRecorded (or CommitmentImported), `overdueAt` of its latest
    /// CommitmentMarkedOverdue (zero if it has none, as a commitment v2 imported from v1 may be
    /// Overdue, Breached or Repaired without one), `evidenceSubmittedAt` pending evidence (open
    /// statuses only), `decidedAt` the fulfilment's or repair's fact time (Fulfilled and
    /// Repaired only; zero where v2 never knew it, as for commitments it imported).
    struct CommitmentImport {
        bytes32 commitment;
        bytes32 project;
        bytes32 enterprise;
        uint8 kind;
        uint8 status; // a {CommitmentStatus} other than None
        bool fulfilledLate; // only with Fulfilled
        uint8 extensions;
        uint64 signedAt;
        uint64 dueAt;
        bytes32 termsHash;
        uint64 recordedAt;
        uint64 overdueAt;
        uint64 evidenceSubmittedAt;
        uint64 decidedAt;
    }

    /// @notice An enterprise's counters on the earlier version, for {importCounters}.
    struct CountersImport {
        bytes32 enterprise;
        EnterpriseCounters counters;
    }

    // -- events ---------------------------------------------------------------------------

    event CommitmentRecorded(
        bytes32 indexed commitment,
        bytes32 indexed project,
        bytes32 indexed enterprise,
        CommitmentKind kind,
        uint64 signedAt,
        uint64 dueAt,
        bytes32 termsHash
    );
    /// @notice Fulfilment evidence was submitted at `submittedAt`; the overdue clock stops.
    event CommitmentEvidenceSubmitted(bytes32 indexed commitment, bytes32 evidenceHash, uint64 submittedAt);
    /// @notice The pending evidence was found insufficient; the overdue clock runs again.
    event CommitmentEvidenceRejected(bytes32 indexed commitment, bytes32 reasonHash);
    /// @notice The commitment was kept; `fulfilledAt` is the fact time that decided `late`.
    /// `byAcceptance`: fulfilled by the approval system's joint acceptance (联合验收).
    event CommitmentFulfilled(
        bytes32 indexed commitment,
        bytes32 evidenceHash,
        uint64 fulfilledAt,
        bool late,
        bool byAcceptance
    );
    event CommitmentMarkedOverdue(bytes32 indexed commitment, uint64 dueAt);
    /// @notice {markOverdueBatch} left the known `commitment` alone; `reason` is the selector of
    /// the error {markOverdue} would have reverted with. Unknown identifiers are skipped without
    /// an event (v3).
    event CommitmentOverdueSkipped(bytes32 indexed commitment, bytes4 reason);
    event CommitmentBreached(bytes32 indexed commitment, bytes32 reasonHash);
    event CommitmentRepaired(bytes32 indexed commitment, bytes32 evidenceHash, uint64 repairedAt);
    event CommitmentExtended(bytes32 indexed commitment, uint64 newDueAt, bytes32 documentHash, uint8 extensions);
    /// @notice The grace period after a due date before anyone may mark a commitment overdue.
    event OverdueGracePeriodSet(uint64 gracePeriod);
    /// @notice A commitment was carried over (migration) with every field of its import;
    /// counters come by {CountersImported}.
    event CommitmentImported(
        bytes32 indexed commitment,
        bytes32 indexed project,
        bytes32 indexed enterprise,
        CommitmentKind kind,
        CommitmentStatus status,
        bool fulfilledLate,
        uint8 extensions,
        uint64 signedAt,
        uint64 dueAt,
        bytes32 termsHash,
        uint64 recordedAt,
        uint64 overdueAt,
        uint64 evidenceSubmittedAt,
        uint64 decidedAt
    );
    /// @notice An enterprise's counters were carried over (they replace none: it had none here).
    event CountersImported(
        bytes32 indexed enterprise,
        uint32 recorded,
        uint32 fulfilled,
        uint32 fulfilledLate,
        uint32 overdue,
        uint32 breached,
        uint32 repaired
    );
    /// @notice The import was sealed (by {sealImport} or by the first live write).
    event ImportSealed();

    // -- errors ---------------------------------------------------------------------------

    /// @notice A commitment, project or enterprise identifier was zero.
    error CommitmentRegistryZeroIdentifier();
    /// @notice A terms, evidence, report, reason or document hash was zero.
    error CommitmentRegistryZeroHash();
    /// @notice The kind is not one of {CommitmentKind}.
    error CommitmentRegistryInvalidKind(uint8 kind);
    /// @notice A due date before the minimum notice or beyond the maximum horizon after signing,
    /// or (extending) not after the current due date and the block time.
    error CommitmentRegistryInvalidDueDate(uint64 dueAt);
    /// @notice A fact time of zero, before the commitment was signed, (a repair) before its
    /// latest overdue mark, or after the block time plus the skew.
    error CommitmentRegistryInvalidTime(uint64 time);
    /// @notice This commitment number was recorded before with different terms.
    error CommitmentRegistryAlreadyRecorded(bytes32 commitment);
    /// @notice No commitment with this identifier.
    error CommitmentRegistryUnknownCommitment(bytes32 commitment);
    /// @notice The commitment's status does not allow this step.
    error CommitmentRegistryInvalidTransition(bytes32 commitment, CommitmentStatus status);
    /// @notice The due date plus the grace period has not passed yet.
    error CommitmentRegistryNotYetDue(bytes32 commitment, uint64 overdueFrom);
    /// @notice Evidence is pending a decision (or, rejecting, none is).
    error CommitmentRegistryEvidencePending(bytes32 commitment);
    error CommitmentRegistryNoEvidencePending(bytes32 commitment);
    /// @notice The commitment was extended {MAX_EXTENSIONS} times already.
    error CommitmentRegistryTooManyExtensions(bytes32 commitment);
    /// @notice Only shelter_build is fulfilled by joint acceptance.
    error CommitmentRegistryNotShelterBuild(bytes32 commitment);
    /// @notice A grace period below one day (v3: with none, recording late would give no time
    /// for the office's evidence) or above the maximum.
    error CommitmentRegistryInvalidGracePeriod(uint64 gracePeriod);
    /// @notice A batch with no entries.
    error CommitmentRegistryEmptyBatch();
    /// @notice `account` holds `heldRole`, which excludes `role` (approval ≠ verifier).
    error CommitmentRegistryConflictingRole(address account, bytes32 role, bytes32 heldRole);
    /// @notice The import is sealed (by {sealImport} or by the first live write).
    error CommitmentRegistryImportSealed();
    /// @notice Marking overdue waits for the import to be sealed (v3: anyone may mark, so marking
    /// never seals it).
    error CommitmentRegistryImportOpen();
    /// @notice An enterprise whose counters are imported already has a non-zero counter here.
    error CommitmentRegistryCountersExist(bytes32 enterprise);
    /// @notice Imported counters that contradict each other (e.g. more fulfilled than recorded).
    error CommitmentRegistryInvalidCounters(bytes32 enterprise);
    /// @notice An imported commitment whose fields contradict its status (v3), e.g. late but not
    /// fulfilled, evidence pending on a closed one, no overdue mark on an overdue one.
    error CommitmentRegistryInvalidImport(bytes32 commitment);
    /// @notice One of `enterprise`'s counters would no longer fit in 32 bits (v3).
    error CommitmentRegistryCounterOverflow(bytes32 enterprise);

    // -- approval system (APPROVAL_ROLE) ------------------------------------------------------

    /// @notice Record a commitment signed at `signedAt`, due at `dueAt` (at least the minimum
    /// notice and at most the maximum horizon after signing; may be past already). Its
    /// `recordedAt` is this block's time. An identical replay is a no-op. Seals an open import.
    function record(
        bytes32 commitment,
        bytes32 project,
        bytes32 enterprise,
        uint8 kind,
        uint64 signedAt,
        uint64 dueAt,
        bytes32 termsHash
    ) external;

    /// @notice Record many commitments; identical replays are skipped, any other bad entry reverts the batch.
    function recordBatch(CommitmentInput[] calldata commitments) external;

    /// @notice A joint acceptance passed at `acceptedAt` fulfils a shelter_build commitment
    /// (`acceptedAt` bounded as {fulfil}'s `fulfilledAt`).
    function fulfilByAcceptance(bytes32 commitment, bytes32 reportHash, uint64 acceptedAt) external;

    // -- evidence (APPROVAL_ROLE or VERIFIER_ROLE) ------------------------------------------

    /// @notice Fulfilment evidence was submitted at `submittedAt` (the earliest submission
    /// counts while pending); stops the overdue clock. On Recorded, Extended or Overdue;
    /// `submittedAt` not before signing (an overdue mark does not bound it), at most the block
    /// time plus the skew.
    function submitEvidence(bytes32 commitment, bytes32 evidenceHash, uint64 submittedAt) external;

    // -- office decisions (VERIFIER_ROLE) ---------------------------------------------------

    /// @notice The pending evidence is insufficient; the overdue clock runs again.
    function rejectEvidence(bytes32 commitment, bytes32 reasonHash) external;

    /// @notice The commitment was kept at `fulfilledAt` (see the timing rule above: not before
    /// signing, possibly before an overdue mark, at most the block time plus the skew).
    function fulfil(bytes32 commitment, bytes32 evidenceHash, uint64 fulfilledAt) external;

    /// @notice An overdue commitment was broken.
    function breach(bytes32 commitment, bytes32 reasonHash) external;

    /// @notice A breached commitment was put right at `repairedAt` (a fact time: not before the
    /// overdue mark, at most the block time plus the skew).
    function repair(bytes32 commitment, bytes32 evidenceHash, uint64 repairedAt) external;

    /// @notice Move the due date later (after the current one and the block time, within the
    /// maximum horizon after signing), approved with a document.
    function extend(bytes32 commitment, uint64 newDueAt, bytes32 documentHash) external;

    // -- anyone -------------------------------------------------------------------------------

    /// @notice Mark overdue a commitment whose grace period (see the overdue clock above) has
    /// passed, with no evidence pending; records the mark's time as `overdueAt`. Reverts with
    /// {CommitmentRegistryImportOpen} while the import is open (never seals it).
    function markOverdue(bytes32 commitment) external;

    /// @notice {markOverdue} for many; known but ineligible entries are skipped with
    /// {CommitmentOverdueSkipped}, unknown identifiers silently (decided, finding 11: anyone may
    /// call it, as anyone may establish an overdue fact, so made-up identifiers must not make the
    /// registry emit events). Returns how many were marked. Reverts with
    /// {CommitmentRegistryImportOpen} while the import is open, whatever the identifiers.
    function markOverdueBatch(bytes32[] calldata commitments) external returns (uint256 marked);

    // -- governance (DEFAULT_ADMIN_ROLE) ----------------------------------------------------

    /// @notice The grace period of the overdue clock: at least one day, at most the maximum (90 days).
    function setOverdueGracePeriod(uint64 gracePeriod) external;

    /// @notice Carry commitments over; only while the import is open. The rule (v3, review D2):
    /// every record an earlier version can hold is carried as it stands, and only what no chain
    /// could have produced or what would break v3's own arithmetic is refused; v3's newer
    /// business rules (minimum notice and horizon of the due date, no repair before the overdue
    /// mark, a decision time and a mark time required) bind live writes, not history. So:
    /// non-zero identifiers and terms, a known kind, a status other than None, at most
    /// {MAX_EXTENSIONS} (Extended with at least one); `recordedAt` non-zero and at most the
    /// block time; `signedAt` non-zero and at most `recordedAt` plus the skew; `dueAt` at most
    /// 2^64 − 1 − {MAX_GRACE_PERIOD} (the overdue clock adds the grace; v2 imported due dates
    /// unbounded); `overdueAt` zero or between `recordedAt` and the block time, zero on
    /// Recorded; `evidenceSubmittedAt` and `decidedAt` zero or between `signedAt` and the block
    /// time plus the skew (before the overdue mark as live writes may be too), pending evidence
    /// only on open statuses, `decidedAt` only on Fulfilled and Repaired, `fulfilledLate` only on
    /// Fulfilled. A carried fact dated before its mark stays as v2 judged it.
    function importCommitments(CommitmentImport[] calldata commitments) external;

    /// @notice Carry enterprise counters over; only while the import is open, for enterprises
    /// whose six counters are all zero here. 0 < recorded, fulfilledLate ≤ fulfilled ≤ recorded,
    /// repaired ≤ breached ≤ overdue (an extended commitment may fall overdue again).
    function importCounters(CountersImport[] calldata counters) external;

    /// @notice End the import window for good (the first live write also ends it).
    function sealImport() external;

    // -- views --------------------------------------------------------------------------------

    function commitmentOf(bytes32 commitment) external view returns (Commitment memory);

    function countersOf(bytes32 enterprise) external view returns (EnterpriseCounters memory);

    function overdueGracePeriod() external view returns (uint64);

    /// @notice Whether the import window is closed (sealed, or a live write happened).
    function importSealed() external view returns (bool);
}
