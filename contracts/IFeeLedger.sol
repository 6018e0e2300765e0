// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title IFeeLedger (v2)
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
 * Retries are safe: an entry identical to one already recorded (same voucher or reference,
 * project, amount and time) is skipped without an event; a different entry under a known
 * voucher or reference reverts.
 *
 * Governance: DEFAULT_ADMIN_ROLE follows OpenZeppelin's AccessControlDefaultAdminRules (a
 * delayed two-step transfer, no silent renounce). ASSESSOR_ROLE and TAX_ROLE are never held by
 * the same account. Migration from an earlier version: the admin imports accounts, vouchers
 * and refund references, then seals the import for good.
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
        uint64 assessedAt; // block time of the first assessment
        uint64 dueAt; // the fee's due date; a payment after it is late
    }

    /// @notice A v1 account carried over by {importAccounts}; figures as they stood on v1.
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
    /// relief and adjustments made earlier still apply, giving `dueFen`.
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

    /// @notice Refunds with reason code `reason` may (or may no longer) exceed the refund owed.
    event RefundReasonAllowed(bytes32 indexed reason, bool allowed);

    /// @notice A v1 account was carried over (migration); `dueFen` and `refundOwedFen` follow from it.
    event AccountImported(
        bytes32 indexed project,
        bytes32 indexed payer,
        uint32 district,
        uint32 rateTableVersion,
        uint32 revision,
        uint16 reliefBps,
        uint64 baseFen,
        int64 adjustmentFen,
        uint64 paidFen,
        uint64 refundedFen,
        uint64 assessedAt,
        uint64 dueAt
    );

    /// @notice A v1 voucher was carried over: it counts as recorded here (its amount is in the
    /// imported account's `paidFen`, not added again).
    event VoucherImported(bytes32 indexed project, bytes32 indexed voucher, uint64 amountFen, uint64 paidAt);

    /// @notice A v1 refund reference was carried over (its amount is in the imported `refundedFen`).
    event RefundImported(bytes32 indexed project, bytes32 indexed refundRef, uint64 amountFen, uint64 refundedAt);

    /// @notice The import was sealed: no import is possible any more.
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
    /// @notice A rate table without districts, or listing a district twice or as zero.
    error FeeLedgerInvalidRateTable(uint32 version);
    /// @notice No rate for `district` in rate table `version` (or no such table).
    error FeeLedgerUnknownRate(uint32 version, uint32 district);
    /// @notice Rate table `version` takes effect only at `effectiveFrom`.
    error FeeLedgerRateTableNotInEffect(uint32 version, uint64 effectiveFrom);
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
    /// @notice A fee due date before the minimum notice or beyond the maximum horizon.
    error FeeLedgerInvalidDueDate(uint64 dueAt);
    /// @notice A payment or refund time before the assessment or after the block time plus the skew.
    error FeeLedgerInvalidTime(uint64 time);
    /// @notice This voucher was recorded before with different figures; a voucher counts once, forever.
    error FeeLedgerVoucherConflict(bytes32 voucher);
    /// @notice This refund reference was recorded before with different figures.
    error FeeLedgerRefundConflict(bytes32 refundRef);
    /// @notice A refund above the refund owed (or, with an allowed reason, above the net paid).
    error FeeLedgerRefundTooLarge(bytes32 project, uint64 refundableFen, uint64 amountFen);
    /// @notice A refund reason code the admin has not allowed.
    error FeeLedgerRefundReasonNotAllowed(bytes32 reason);
    /// @notice The total paid would no longer fit in 64 bits.
    error FeeLedgerPaidOverflow(bytes32 project);
    /// @notice A batch with no entries.
    error FeeLedgerEmptyBatch();
    /// @notice `account` holds `heldRole`, which excludes `role` (assessor ≠ tax).
    error FeeLedgerConflictingRole(address account, bytes32 role, bytes32 heldRole);
    /// @notice The import is sealed.
    error FeeLedgerImportSealed();
    /// @notice The imported project already has an account here.
    error FeeLedgerAccountExists(bytes32 project);

    // -- rate tables (ASSESSOR_ROLE) --------------------------------------------------------

    /// @notice Publish rate table `version` (> 0, never published before), in effect from
    /// `effectiveFrom`, with the legal basis `basisHash` (the price bureau's document).
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
    /// `rateTableVersion` (which must be in effect) times `shortfallArea`. Earlier relief and
    /// adjustments still apply. `dueAt` at least the minimum notice and at most the maximum
    /// horizon after the block time. A reassessment keeps the payer.
    function assess(
        bytes32 project,
        bytes32 payer,
        uint32 district,
        uint64 shortfallArea,
        uint32 rateTableVersion,
        uint64 dueAt,
        bytes32 basisHash
    ) external returns (uint64 dueFen);

    /// @notice Set the relief (减免) of `project` to `reliefBps` of the base (10,000 = exempt).
    function setRelief(bytes32 project, bytes32 reason, uint16 reliefBps, bytes32 documentHash)
        external
        returns (uint64 dueFen);

    /// @notice A fixed change of the amount due: 补缴 (> 0) or 核减 (< 0) after the surveyed area.
    function adjust(bytes32 project, bytes32 reason, int64 deltaFen, bytes32 documentHash)
        external
        returns (uint64 dueFen);

    // -- payments and refunds (TAX_ROLE) ----------------------------------------------------

    /// @notice Record one payment confirmed by the tax system; an identical replay is a no-op.
    function recordPayment(bytes32 project, bytes32 voucher, uint64 amountFen, uint64 paidAt) external;

    /// @notice Record many payments; identical replays are skipped, any other bad entry reverts the batch.
    function recordPayments(Payment[] calldata payments) external;

    /// @notice Record one refund confirmed by the tax system; an identical replay is a no-op.
    function recordRefund(bytes32 project, bytes32 refundRef, uint64 amountFen, uint64 refundedAt, bytes32 reason)
        external;

    /// @notice Record many refunds; identical replays are skipped, any other bad entry reverts the batch.
    function recordRefunds(Refund[] calldata refunds) external;

    // -- governance (DEFAULT_ADMIN_ROLE) ----------------------------------------------------

    /// @notice Allow (or stop allowing) refunds with reason code `reason` to exceed the refund owed.
    function setRefundReasonAllowed(bytes32 reason, bool allowed) external;

    /// @notice Carry v1 accounts over; only before {sealImport}.
    function importAccounts(AccountImport[] calldata accounts) external;

    /// @notice Carry v1 vouchers over; only before {sealImport}. Their amounts are not added
    /// to the accounts (the imported `paidFen` holds them).
    function importVouchers(Payment[] calldata vouchers) external;

    /// @notice Carry v1 refund references over; only before {sealImport}.
    function importRefunds(Refund[] calldata refunds) external;

    /// @notice End the import window for good.
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

    /// @notice Whether the import window is closed.
    function importSealed() external view returns (bool);
}
