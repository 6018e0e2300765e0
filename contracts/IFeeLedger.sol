// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title IFeeLedger
 * @notice The civil-air-defence off-site construction fee (人防易地建设费) of each project:
 * assessed from the shortfall of shelter area and a versioned rate table, adjusted by
 * reductions and exemptions (减免) or after the surveyed area (联合测绘), paid and refunded
 * through the tax system (电子税务系统).
 * @dev Units: money in fen (分), area in 0.01 m², rates in fen per m², times in unix seconds.
 * Projects are `keccak256(project_code)`, payers `HMAC-SHA256(pepper, USCC)`, vouchers and
 * refund references `keccak256(reference)`, documents their SHA-256. No personal data.
 */
interface IFeeLedger {
    /// @notice Status of a project's fee account; derived from its figures, never stored.
    enum FeeStatus {
        Unassessed,
        Assessed,
        PartiallyPaid,
        Paid,
        Overpaid,
        Exempt
    }

    /// @notice One payment confirmed by the tax system, for batch recording.
    struct Payment {
        bytes32 project;
        bytes32 voucher;
        uint64 amountFen;
        uint64 paidAt;
    }

    /// @notice A project's fee account as the views report it.
    struct FeeAccount {
        bytes32 payer;
        uint64 dueFen;
        uint64 paidFen;
        uint64 refundedFen;
        uint32 revision;
        FeeStatus status;
    }

    /// @notice A fee was assessed (revision 1) or reassessed (revision > 1); `amountFen`
    /// replaces the amount due, and equals round_half_up(shortfallArea × rateFenPerM2 / 100).
    event FeeAssessed(
        bytes32 indexed project,
        bytes32 indexed payer,
        uint32 revision,
        uint64 shortfallArea,
        uint64 rateFenPerM2,
        uint32 rateTableVersion,
        uint64 amountFen,
        bytes32 basisHash
    );

    /// @notice The amount due changed by `deltaFen` for the reason code `reason`.
    event FeeAdjusted(bytes32 indexed project, bytes32 indexed reason, int64 deltaFen, bytes32 documentHash);

    /// @notice The tax system confirmed a payment under tax voucher `voucher`.
    event PaymentRecorded(bytes32 indexed project, bytes32 indexed voucher, uint64 amountFen, uint64 paidAt);

    /// @notice A payment took the net amount paid above the amount due by `excessFen`; a refund is owed.
    event OverpaymentFlagged(bytes32 indexed project, uint64 excessFen);

    /// @notice The tax system confirmed a refund under reference `refundRef`.
    event RefundRecorded(bytes32 indexed project, bytes32 indexed refundRef, uint64 amountFen, uint64 refundedAt);

    /// @notice A project, payer or reference identifier was zero.
    error FeeLedgerZeroIdentifier();
    /// @notice The rate must be positive.
    error FeeLedgerZeroRate();
    /// @notice The computed amount does not fit in 64 bits of fen.
    error FeeLedgerAmountTooLarge(uint256 amountFen);
    /// @notice The project has no assessment yet.
    error FeeLedgerNotAssessed(bytes32 project);
    /// @notice An adjustment must change the amount.
    error FeeLedgerZeroAdjustment();
    /// @notice A reduction larger than the amount due.
    error FeeLedgerAdjustmentBelowZero(bytes32 project, uint64 dueFen, int64 deltaFen);
    /// @notice A payment or refund of zero fen.
    error FeeLedgerZeroAmount();
    /// @notice A payment or refund time of zero or in the future.
    error FeeLedgerInvalidTime(uint64 time);
    /// @notice This tax voucher was recorded before; a voucher counts once, forever.
    error FeeLedgerVoucherAlreadyRecorded(bytes32 voucher);
    /// @notice This refund reference was recorded before.
    error FeeLedgerRefundAlreadyRecorded(bytes32 refundRef);
    /// @notice A refund larger than the net amount paid.
    error FeeLedgerRefundExceedsPaid(bytes32 project, uint64 refundableFen, uint64 amountFen);
    /// @notice A batch with no entries.
    error FeeLedgerEmptyBatch();

    /// @notice Assess or reassess the fee of `project` (ASSESSOR_ROLE).
    function assess(
        bytes32 project,
        bytes32 payer,
        uint64 shortfallArea,
        uint64 rateFenPerM2,
        uint32 rateTableVersion,
        bytes32 basisHash
    ) external returns (uint64 amountFen);

    /// @notice Change the amount due by `deltaFen` (ASSESSOR_ROLE): a reduction, exemption,
    /// supplementary charge (补缴) or reduction after survey (核减).
    function adjust(bytes32 project, bytes32 reason, int64 deltaFen, bytes32 documentHash) external;

    /// @notice Record one payment confirmed by the tax system (TAX_ROLE).
    function recordPayment(bytes32 project, bytes32 voucher, uint64 amountFen, uint64 paidAt) external;

    /// @notice Record many payments at once (TAX_ROLE); any bad entry reverts the whole batch.
    function recordPayments(Payment[] calldata payments) external;

    /// @notice Record a refund confirmed by the tax system (TAX_ROLE).
    function recordRefund(bytes32 project, bytes32 refundRef, uint64 amountFen, uint64 refundedAt) external;

    /// @notice The fee account of `project`.
    function feeAccount(bytes32 project) external view returns (FeeAccount memory);

    /// @notice Whether the tax voucher `voucher` has been recorded.
    function isVoucherRecorded(bytes32 voucher) external view returns (bool);

    /// @notice Whether the refund reference `refundRef` has been recorded.
    function isRefundRecorded(bytes32 refundRef) external view returns (bool);
}
