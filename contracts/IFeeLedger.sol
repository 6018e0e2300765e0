// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title IFeeLedger (v3)
 * @notice The civil-air-defence off-site construction fee (人防易地建设费) of each project:
 * assessed from the shortfall of shelter area and a rate table published on chain, reduced or
 * exempted (减免) by a share of the base that survives reassessment, adjusted by fixed amounts
 * after the surveyed area (联合测绘: 补缴 / 核减), paid and refunded through the tax system.
 *
 * @dev Units: money in fen (分), area in 0.01 m², rates in fen per m², relief in basis points
 * (10,000 = exempt), times in unix seconds. Projects are `keccak256(project_code)`, payers
 * `HMAC-SHA256(pepper, USCC)`, vouchers and refund references `keccak256` of their normalised
 * text (ledger.identifiers), documents their SHA-256. No personal data.
 *
 * The amount due is always `max(0, base − round_half_up(base × reliefBps / 10,000) + adjustmentFen)`
 * where `base = round_half_up(shortfallArea × rate / 100)`; every event that changes it carries
 * the resulting `dueFen`. The refund owed is `max(0, paid − refunded − due)`; every change of it
 * emits {RefundOwedChanged} with the new level.
 *
 * Fact times (v3). Every fact carries the time it happened, attested by the role that writes
 * it: the levy notice's issue time (`assessedAt`), `paidAt`, `refundedAt`. Each is non-zero,
 * fits in 32 bits and is at most the block time plus {CLOCK_SKEW}. The account keeps the FIRST
 * assessment's fact time; payments and refunds are judged against it (`paidAt ≥ assessedAt`),
 * never against the block time of the `assess` transaction, so a payment made against the
 * paper notice is recordable whenever the assessment lands.
 *
 * Due date (v3). The first assessment sets the due date, between {MIN_NOTICE} and
 * {MAX_HORIZON} after its fact time (it may already be past when the write lands: the delay is
 * ours). A reassessment, a relief and an adjustment keep it: what was due stays due when it was
 * due, so whether a payment is late is a function of its own `paidAt` and the account's one due
 * date, never of which transaction landed first. An increase does NOT get a due date of its
 * own (decided): a second date would need each payment attributed to a tranche, and that
 * attribution depends on which payments landed first. An increase therefore falls due on
 * the fee's due date; where the office grants time for it, that is a commitment (承诺制,
 * `fee_payment`) with its own due date, not a re-dated fee.
 *
 * Rate tables (v3). Tables take effect in the order they are published: each not earlier than
 * the one before (two tables may share an effective time, as on v2: the one published later
 * supersedes the other from that time, so the earlier is never in effect there). A table is superseded for a district from the moment the next table listing that
 * district takes effect. An assessment must use, for its district, the table in effect at the
 * account's fact time (the first assessment's `assessedAt`; a reassessment keeps the rate basis
 * of the original notice): a table not yet in effect then, or already superseded then, is
 * refused (decided: no reason code overrides it; judged by fact time, a late write or a
 * reassessment still gets the old rate, and a policy exception is a relief or an adjustment,
 * which carry a reason code and a document).
 *
 * Refunds (v3). Money that really moved is always recordable: a refund is refused only for a
 * zero amount, a zero identifier, a conflicting replay, a bad time, an unassessed project, the
 * wrong role or a pause. A refund is allowed up to the refund owed, or with a reason code the
 * admin allowed, up to the net paid (paid − refunded); the part beyond that is still recorded and
 * flagged: it adds to the account's `overRefundedFen` (money out that was not owed when the
 * refund was recorded) and {OverRefundFlagged} reports the new level. It is a cumulative flag,
 * not a balance: it never decreases on chain, not even when a later payment or reassessment
 * makes the money owed after all; the office resolves each flagged refund off chain (recovery,
 * a relief or adjustment with its document) and the read model records the resolution.
 * `refundedFen` may then exceed `paidFen`: the net paid counts as zero and the amount due is
 * unpaid again.
 *
 * No panics: every arithmetic overflow is a named error.
 *
 * Retries are safe: an entry identical to one already recorded (same voucher or reference,
 * project, amount and time) is skipped without an event; a different entry under a known
 * voucher or reference reverts.
 *
 * Governance: DEFAULT_ADMIN_ROLE follows OpenZeppelin's AccessControlDefaultAdminRules (a
 * delayed two-step transfer, no silent renounce). ASSESSOR_ROLE and TAX_ROLE are never held by
 * the same account.
 *
 * Migration (v3). The admin imports accounts, vouchers and refund references only while the
 * import is open: before the first live write (assess, setRelief, adjust, a payment or a
 * refund; publishing rate tables is set-up, not a live write) and before {sealImport}. The
 * first live write seals the import by itself ({ImportSealed}); a deployment with no import
 * planned seals it at once. Imports are bounded exactly as live writes are (identifiers, times,
 * due date, relief, rates on chain, amounts); an imported voucher or refund belongs to an
 * imported account, and one whose identifier is already recorded is refused.
 */
interface IFeeLedger {
    /// @notice Status of a project's fee account; derived from its figures, never stored.
    /// `NothingOwed`: assessed with a zero shortfall (no fee arises), unlike `Exempt` (a fee
    /// arose and was fully relieved, 减免).
    enum FeeStatus {
        Unassessed,
        Assessed,
        PartiallyPaid,
        Paid,
        Overpaid,
        Exempt,
        NothingOwed
    }

    /// @notice One district's rate in a rate table, for {publishRateTable}.
    struct DistrictRate {
        uint32 district; // administrative division code, e.g. 410105
        uint64 rateFenPerM2;
    }

    /// @notice One payment confirmed by the tax system, for {recordPayments}.
    struct Payment {
        bytes32 project;
        bytes32 voucher;
        uint64 amountFen;
        uint64 paidAt;
    }

    /// @notice One refund confirmed by the tax system, for {recordRefunds}. `reason` is zero
    /// for an ordinary refund of the excess, or a reason code the admin allowed to go beyond it.
    struct Refund {
        bytes32 project;
        bytes32 refundRef;
        uint64 amountFen;
        uint64 refundedAt;
        bytes32 reason;
    }

    /// @notice A project's fee account as the views report it.
    struct FeeAccount {
        bytes32 payer;
        uint32 district;
        uint32 rateTableVersion;
        uint32 revision;
        uint16 reliefBps;
        FeeStatus status;
        uint64 baseFen;
        int64 adjustmentFen; // sum of every {adjust} delta
        uint64 dueFen;
        uint64 paidFen;
        uint64 refundedFen;
        uint64 refundOwedFen;
        uint64 assessedAt; // fact time of the first assessment (the levy notice's issue time)
        uint64 dueAt; // the fee's due date, set by the first assessment; a payment after it is late
        uint64 overRefundedFen; // money refunded beyond what was refundable when recorded (v3)
    }

    /// @notice An account carried over by {importAccounts}; figures as they stood on the earlier
    /// version. `assessedAt` is that account's first assessment time, `dueAt` its due date.
    struct AccountImport {
        bytes32 project;
        bytes32 payer;
        uint32 district;
        uint32 rateTableVersion;
        uint32 revision;
        uint16 reliefBps;
        uint64 baseFen;
        int64 adjustmentFen;
        uint64 paidFen;
        uint64 refundedFen;
        uint64 assessedAt;
        uint64 dueAt;
    }

    // -- events ---------------------------------------------------------------------------

    /// @notice Rate table `version` was published, in effect from `effectiveFrom`; its district
    /// rates follow as {RatePublished}. A published version never changes.
    event RateTablePublished(uint32 indexed version, uint64 effectiveFrom, uint32 districtCount, bytes32 basisHash);

    /// @notice The rate of `district` in rate table `version`.
    event RatePublished(uint32 indexed version, uint32 indexed district, uint64 rateFenPerM2);

    /// @notice A fee was assessed (revision 1) or reassessed (revision > 1). `baseFen` =
    /// round_half_up(shortfallArea × rateFenPerM2 / 100), the rate looked up on chain;
    /// relief and adjustments made earlier still apply, giving `dueFen`. `assessedAt` is this
    /// (re)assessment's attested fact time (v3); `dueAt` the account's due date, which a
    /// reassessment keeps.
    event FeeAssessed(
        bytes32 indexed project,
        bytes32 indexed payer,
        uint32 revision,
        uint32 district,
        uint32 rateTableVersion,
        uint64 rateFenPerM2,
        uint64 shortfallArea,
        uint64 baseFen,
        uint64 dueFen,
        uint64 assessedAt,
        uint64 dueAt,
        bytes32 basisHash
    );

    /// @notice The relief (减免) of `project` was set to `reliefBps` of the base (10,000 = exempt,
    /// 0 = withdrawn) for the reason code `reason`; it survives reassessment.
    event FeeReliefSet(bytes32 indexed project, bytes32 indexed reason, uint16 reliefBps, bytes32 documentHash, uint64 dueFen);

    /// @notice A fixed change of `deltaFen` (补缴 > 0, 核减 < 0) for the reason code `reason`.
    event FeeAdjusted(bytes32 indexed project, bytes32 indexed reason, int64 deltaFen, bytes32 documentHash, uint64 dueFen);

    /// @notice The tax system confirmed a payment under tax voucher `voucher`; `late` when
    /// `paidAt` is after the fee's due date.
    event PaymentRecorded(bytes32 indexed project, bytes32 indexed voucher, uint64 amountFen, uint64 paidAt, bool late);

    /// @notice The refund owed to the payer of `project` is now `owedFen` (a level, not an increment).
    event RefundOwedChanged(bytes32 indexed project, uint64 owedFen);

    /// @notice The tax system confirmed a refund under reference `refundRef`.
    event RefundRecorded(
        bytes32 indexed project,
        bytes32 indexed refundRef,
        uint64 amountFen,
        uint64 refundedAt,
        bytes32 reason
    );

    /// @notice Refund `refundRef` went `excessFen` beyond what was refundable when it was recorded
    /// (the refund owed, or with an allowed reason the net paid); the account's over-refunded
    /// total is now `overRefundedFen` (a level). Emitted right after its {RefundRecorded}. (v3)
    event OverRefundFlagged(bytes32 indexed project, bytes32 indexed refundRef, uint64 excessFen, uint64 overRefundedFen);

    /// @notice Refunds with reason code `reason` may (or may no longer) exceed the refund owed,
    /// up to the net paid, without being flagged.
    event RefundReasonAllowed(bytes32 indexed reason, bool allowed);

    /// @notice An account was carried over (migration) with the amount due `dueFen` (v3); a
    /// non-zero refund owed follows as {RefundOwedChanged}.
    event AccountImported(
        bytes32 indexed project,
        bytes32 indexed payer,
        uint32 district,
        uint32 rateTableVersion,
        uint32 revision,
        uint16 reliefBps,
        uint64 baseFen,
        int64 adjustmentFen,
        uint64 dueFen,
        uint64 paidFen,
        uint64 refundedFen,
        uint64 assessedAt,
        uint64 dueAt
    );

    /// @notice A voucher was carried over: it counts as recorded here (its amount is in the
    /// imported account's `paidFen`, not added again).
    event VoucherImported(bytes32 indexed project, bytes32 indexed voucher, uint64 amountFen, uint64 paidAt);

    /// @notice A refund reference was carried over (its amount is in the imported `refundedFen`).
    event RefundImported(bytes32 indexed project, bytes32 indexed refundRef, uint64 amountFen, uint64 refundedAt);

    /// @notice The import was sealed (by {sealImport} or by the first live write): no import is possible any more.
    event ImportSealed();

    // -- errors ---------------------------------------------------------------------------

    /// @notice A project, payer, voucher or reference identifier was zero.
    error FeeLedgerZeroIdentifier();
    /// @notice A document, basis or reason hash was zero.
    error FeeLedgerZeroHash();
    /// @notice A rate of zero fen per m².
    error FeeLedgerZeroRate(uint32 district);
    /// @notice This rate table version was published before, or is zero.
    error FeeLedgerRateTableExists(uint32 version);
    /// @notice A rate table without districts, listing a district twice or as zero, or taking
    /// effect at zero or before the table published before it.
    error FeeLedgerInvalidRateTable(uint32 version);
    /// @notice No rate for `district` in rate table `version` (or no such table).
    error FeeLedgerUnknownRate(uint32 version, uint32 district);
    /// @notice Rate table `version` takes effect only at `effectiveFrom`, after the account's fact time.
    error FeeLedgerRateTableNotInEffect(uint32 version, uint64 effectiveFrom);
    /// @notice Rate table `version` was superseded for `district` at `supersededFrom`, at or
    /// before the account's fact time. (v3)
    error FeeLedgerRateTableSuperseded(uint32 version, uint32 district, uint64 supersededFrom);
    /// @notice An amount that does not fit in 64 bits of fen.
    error FeeLedgerAmountTooLarge(uint256 amountFen);
    /// @notice The project has no assessment yet.
    error FeeLedgerNotAssessed(bytes32 project);
    /// @notice Reassessment under another payer.
    error FeeLedgerPayerMismatch(bytes32 project, bytes32 payer);
    /// @notice An adjustment must change the amount.
    error FeeLedgerZeroAdjustment();
    /// @notice An adjustment that would take the amount due below zero.
    error FeeLedgerAdjustmentBelowZero(bytes32 project, uint64 dueFen, int64 deltaFen);
    /// @notice Relief above 10,000 basis points, or equal to the current relief.
    error FeeLedgerInvalidRelief(uint16 reliefBps);
    /// @notice A payment or refund of zero fen.
    error FeeLedgerZeroAmount();
    /// @notice A fee due date before the minimum notice or beyond the maximum horizon after the
    /// assessment's fact time, or (reassessing) neither zero nor the account's due date.
    error FeeLedgerInvalidDueDate(uint64 dueAt);
    /// @notice A fact time of zero, beyond 32 bits, after the block time plus the skew, or before
    /// the account's assessment (a payment, a refund, a reassessment).
    error FeeLedgerInvalidTime(uint64 time);
    /// @notice This voucher was recorded before with different figures; a voucher counts once, forever.
    error FeeLedgerVoucherConflict(bytes32 voucher);
    /// @notice This refund reference was recorded before with different figures.
    error FeeLedgerRefundConflict(bytes32 refundRef);
    /// @notice An imported account whose `refundedFen` is above its `paidFen` (v3: live refunds
    /// are never refused for their amount; they are flagged, see {OverRefundFlagged}).
    error FeeLedgerRefundTooLarge(bytes32 project, uint64 refundableFen, uint64 amountFen);
    /// @notice The total paid would no longer fit in 64 bits.
    error FeeLedgerPaidOverflow(bytes32 project);
    /// @notice The total refunded would no longer fit in 64 bits. (v3)
    error FeeLedgerRefundedOverflow(bytes32 project);
    /// @notice The revision counter would no longer fit in 32 bits. (v3)
    error FeeLedgerRevisionOverflow(bytes32 project);
    /// @notice A batch with no entries.
    error FeeLedgerEmptyBatch();
    /// @notice `account` holds `heldRole`, which excludes `role` (assessor ≠ tax).
    error FeeLedgerConflictingRole(address account, bytes32 role, bytes32 heldRole);
    /// @notice The import is sealed (by {sealImport} or by the first live write).
    error FeeLedgerImportSealed();
    /// @notice The imported project already has an account here.
    error FeeLedgerAccountExists(bytes32 project);
    /// @notice The vouchers (or refunds) imported for `project` would add up to `importedFen`,
    /// more than its imported account's `paidFen` (or `refundedFen`), `accountFen` (v3).
    error FeeLedgerImportExceedsAccount(bytes32 project, uint64 accountFen, uint256 importedFen);

    // -- rate tables (ASSESSOR_ROLE) --------------------------------------------------------

    /// @notice Publish rate table `version` (> 0, never published before), in effect from
    /// `effectiveFrom` (non-zero, not earlier than that of every table published before: tables
    /// take effect in the order they are published; at an equal time the later one wins), with the legal basis `basisHash` (the price bureau's
    /// document). For each district it lists, it supersedes the table that listed it last, from
    /// `effectiveFrom`. Not a live write: it leaves the import open.
    function publishRateTable(
        uint32 version,
        uint64 effectiveFrom,
        bytes32 basisHash,
        DistrictRate[] calldata rates
    ) external;

    /// @notice The rate of `district` in table `version` and when that table takes effect.
    function rateOf(uint32 version, uint32 district) external view returns (uint64 rateFenPerM2, uint64 effectiveFrom);

    // -- assessment (ASSESSOR_ROLE) ---------------------------------------------------------

    /// @notice Assess or reassess the fee of `project`: the rate of `district` in table
    /// `rateTableVersion` times `shortfallArea`. Earlier relief and adjustments still apply.
    /// `assessedAt` is the attested fact time of this levy notice: non-zero, at most the block
    /// time plus the skew and, reassessing, not before the account's fact time. The account keeps
    /// the first assessment's fact time; the table must be the district's table in effect then
    /// (not later, not superseded). First assessment: `dueAt` at least {MIN_NOTICE} and at most
    /// {MAX_HORIZON} after `assessedAt`. Reassessment: the payer and the due date are kept
    /// (`dueAt` zero or equal to the account's due date). Seals an open import.
    function assess(
        bytes32 project,
        bytes32 payer,
        uint32 district,
        uint64 shortfallArea,
        uint32 rateTableVersion,
        uint64 assessedAt,
        uint64 dueAt,
        bytes32 basisHash
    ) external returns (uint64 dueFen);

    /// @notice Set the relief (减免) of `project` to `reliefBps` of the base (10,000 = exempt),
    /// rounded half up in fen. Keeps the due date. Seals an open import.
    function setRelief(bytes32 project, bytes32 reason, uint16 reliefBps, bytes32 documentHash)
        external
        returns (uint64 dueFen);

    /// @notice A fixed change of the amount due: 补缴 (> 0) or 核减 (< 0) after the surveyed area.
    /// Keeps the due date. Seals an open import.
    function adjust(bytes32 project, bytes32 reason, int64 deltaFen, bytes32 documentHash)
        external
        returns (uint64 dueFen);

    // -- payments and refunds (TAX_ROLE) ----------------------------------------------------

    /// @notice Record one payment confirmed by the tax system, made at `paidAt` (not before the
    /// account's fact time, at most the block time plus the skew); late when after the due date.
    /// An identical replay is a no-op. Seals an open import.
    function recordPayment(bytes32 project, bytes32 voucher, uint64 amountFen, uint64 paidAt) external;

    /// @notice Record many payments; identical replays are skipped, any other bad entry reverts the batch.
    function recordPayments(Payment[] calldata payments) external;

    /// @notice Record one refund confirmed by the tax system, paid out at `refundedAt` (bounded
    /// as `paidAt`). Never refused for its amount: beyond the refund owed (or, with a `reason`
    /// the admin allowed, beyond the net paid) it is recorded and flagged ({OverRefundFlagged}).
    /// A reason code not allowed gives no extra allowance. An identical replay is a no-op. Seals
    /// an open import.
    function recordRefund(bytes32 project, bytes32 refundRef, uint64 amountFen, uint64 refundedAt, bytes32 reason)
        external;

    /// @notice Record many refunds; identical replays are skipped, any other bad entry reverts the batch.
    function recordRefunds(Refund[] calldata refunds) external;

    // -- governance (DEFAULT_ADMIN_ROLE) ----------------------------------------------------

    /// @notice Allow (or stop allowing) refunds with reason code `reason` to exceed the refund
    /// owed, up to the net paid, without being flagged.
    function setRefundReasonAllowed(bytes32 reason, bool allowed) external;

    /// @notice Carry accounts over; only while the import is open. The rule (v3, review D2): every
    /// account an earlier version can hold is carried as it stands; refused is only what no chain
    /// could have produced or what would break v3's arithmetic, not v3's newer business rules.
    /// So: non-zero identifiers, relief ≤ 10,000, revision ≥ 1, `assessedAt` non-zero, at most
    /// the block time plus the skew and in 32 bits, `dueAt` non-zero and in 32 bits (not bounded
    /// by {MIN_NOTICE}/{MAX_HORIZON} from `assessedAt`: a v2 reassessment set a new due date up
    /// to the horizon from its own time, and v2 imported due dates unchecked), `refundedFen` ≤
    /// `paidFen` (v2 never refunded more than was paid), the amount due in 64 bits. The rate
    /// table named need not be on chain (v2 imported v1's accounts without one); a reassessment
    /// names a table in effect as always.
    function importAccounts(AccountImport[] calldata accounts) external;

    /// @notice Carry vouchers over; only while the import is open. Bounded as {recordPayment}:
    /// an imported account, a non-zero amount, `paidAt` within its bounds; a voucher already
    /// recorded is refused. Their amounts are not added to the accounts (the imported `paidFen` holds them);
    /// a project's imported vouchers add up to no more than its imported `paidFen` (v3; less
    /// where the earlier version's own imports carried no vouchers).
    function importVouchers(Payment[] calldata vouchers) external;

    /// @notice Carry refund references over; only while the import is open; bounded as
    /// {importVouchers} (the imported `refundedFen` holds their amounts, and bounds their sum).
    function importRefunds(Refund[] calldata refunds) external;

    /// @notice End the import window for good (the first live write also ends it).
    function sealImport() external;

    // -- views ------------------------------------------------------------------------------

    /// @notice The fee account of `project`.
    function feeAccount(bytes32 project) external view returns (FeeAccount memory);

    /// @notice Whether the tax voucher `voucher` has been recorded (or imported).
    function isVoucherRecorded(bytes32 voucher) external view returns (bool);

    /// @notice Whether the refund reference `refundRef` has been recorded (or imported).
    function isRefundRecorded(bytes32 refundRef) external view returns (bool);

    /// @notice Whether refunds with reason code `reason` may exceed the refund owed.
    function isRefundReasonAllowed(bytes32 reason) external view returns (bool);

    /// @notice Whether the import window is closed (sealed, or a live write happened).
    function importSealed() external view returns (bool);
}
