// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IFeeLedger} from "./IFeeLedger.sol";

/// @title FeeLedger
/// @notice Implementation of {IFeeLedger}. No proxy: a new version is a new deployment.
contract FeeLedger is IFeeLedger, AccessControl, Pausable {
    bytes32 public constant ASSESSOR_ROLE = keccak256("ASSESSOR_ROLE");
    bytes32 public constant TAX_ROLE = keccak256("TAX_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev Tolerated clock skew between the tax system and the chain.
    uint64 private constant _CLOCK_SKEW = 15 minutes;

    /// @dev One storage slot per project, so a payment touches a single warm word.
    struct Account {
        uint64 dueFen;
        uint64 paidFen;
        uint64 refundedFen;
        uint32 revision;
        bool assessed;
    }

    mapping(bytes32 project => Account) private _accounts;
    mapping(bytes32 project => bytes32) private _payers;
    mapping(bytes32 voucher => bool) private _vouchers;
    mapping(bytes32 refundRef => bool) private _refunds;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IFeeLedger
    function assess(
        bytes32 project,
        bytes32 payer,
        uint64 shortfallArea,
        uint64 rateFenPerM2,
        uint32 rateTableVersion,
        bytes32 basisHash
    ) external onlyRole(ASSESSOR_ROLE) whenNotPaused returns (uint64 amountFen) {
        if (project == bytes32(0) || payer == bytes32(0)) revert FeeLedgerZeroIdentifier();
        if (rateFenPerM2 == 0) revert FeeLedgerZeroRate();
        // Area is in 0.01 m², the rate per m²: divide by 100, rounding half up.
        uint256 amount = (uint256(shortfallArea) * rateFenPerM2 + 50) / 100;
        if (amount > type(uint64).max) revert FeeLedgerAmountTooLarge(amount);
        amountFen = uint64(amount);

        Account storage account = _accounts[project];
        uint32 revision = account.revision + 1;
        account.dueFen = amountFen;
        account.revision = revision;
        account.assessed = true;
        _payers[project] = payer;
        emit FeeAssessed(project, payer, revision, shortfallArea, rateFenPerM2, rateTableVersion, amountFen, basisHash);
    }

    /// @inheritdoc IFeeLedger
    function adjust(
        bytes32 project,
        bytes32 reason,
        int64 deltaFen,
        bytes32 documentHash
    ) external onlyRole(ASSESSOR_ROLE) whenNotPaused {
        if (reason == bytes32(0)) revert FeeLedgerZeroIdentifier();
        if (deltaFen == 0) revert FeeLedgerZeroAdjustment();
        Account storage account = _accounts[project];
        if (!account.assessed) revert FeeLedgerNotAssessed(project);
        int256 newDue = int256(uint256(account.dueFen)) + deltaFen;
        if (newDue < 0) revert FeeLedgerAdjustmentBelowZero(project, account.dueFen, deltaFen);
        if (newDue > int256(uint256(type(uint64).max))) revert FeeLedgerAmountTooLarge(uint256(newDue));
        account.dueFen = uint64(uint256(newDue));
        emit FeeAdjusted(project, reason, deltaFen, documentHash);
    }

    /// @inheritdoc IFeeLedger
    function recordPayment(
        bytes32 project,
        bytes32 voucher,
        uint64 amountFen,
        uint64 paidAt
    ) external onlyRole(TAX_ROLE) whenNotPaused {
        _recordPayment(project, voucher, amountFen, paidAt);
    }

    /// @inheritdoc IFeeLedger
    function recordPayments(Payment[] calldata payments) external onlyRole(TAX_ROLE) whenNotPaused {
        uint256 count = payments.length;
        if (count == 0) revert FeeLedgerEmptyBatch();
        for (uint256 i = 0; i < count; ++i) {
            Payment calldata p = payments[i];
            _recordPayment(p.project, p.voucher, p.amountFen, p.paidAt);
        }
    }

    /// @inheritdoc IFeeLedger
    function recordRefund(
        bytes32 project,
        bytes32 refundRef,
        uint64 amountFen,
        uint64 refundedAt
    ) external onlyRole(TAX_ROLE) whenNotPaused {
        if (refundRef == bytes32(0)) revert FeeLedgerZeroIdentifier();
        if (amountFen == 0) revert FeeLedgerZeroAmount();
        _checkTime(refundedAt);
        if (_refunds[refundRef]) revert FeeLedgerRefundAlreadyRecorded(refundRef);
        Account storage account = _accounts[project];
        if (!account.assessed) revert FeeLedgerNotAssessed(project);
        uint64 refundable = account.paidFen - account.refundedFen;
        if (amountFen > refundable) revert FeeLedgerRefundExceedsPaid(project, refundable, amountFen);
        _refunds[refundRef] = true;
        account.refundedFen += amountFen;
        emit RefundRecorded(project, refundRef, amountFen, refundedAt);
    }

    /// @notice Stop every write (PAUSER_ROLE).
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resume writes (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc IFeeLedger
    function feeAccount(bytes32 project) external view returns (FeeAccount memory) {
        Account memory a = _accounts[project];
        return FeeAccount(_payers[project], a.dueFen, a.paidFen, a.refundedFen, a.revision, _status(a));
    }

    /// @inheritdoc IFeeLedger
    function isVoucherRecorded(bytes32 voucher) external view returns (bool) {
        return _vouchers[voucher];
    }

    /// @inheritdoc IFeeLedger
    function isRefundRecorded(bytes32 refundRef) external view returns (bool) {
        return _refunds[refundRef];
    }

    function _recordPayment(bytes32 project, bytes32 voucher, uint64 amountFen, uint64 paidAt) private {
        if (voucher == bytes32(0)) revert FeeLedgerZeroIdentifier();
        if (amountFen == 0) revert FeeLedgerZeroAmount();
        _checkTime(paidAt);
        if (_vouchers[voucher]) revert FeeLedgerVoucherAlreadyRecorded(voucher);
        Account storage account = _accounts[project];
        Account memory a = account;
        if (!a.assessed) revert FeeLedgerNotAssessed(project);
        _vouchers[voucher] = true;
        uint64 paid = a.paidFen + amountFen;
        account.paidFen = paid;
        emit PaymentRecorded(project, voucher, amountFen, paidAt);
        uint64 net = paid - a.refundedFen;
        if (net > a.dueFen) emit OverpaymentFlagged(project, net - a.dueFen);
    }

    function _checkTime(uint64 time) private view {
        if (time == 0 || time > block.timestamp + _CLOCK_SKEW) revert FeeLedgerInvalidTime(time);
    }

    function _status(Account memory a) private pure returns (FeeStatus) {
        if (!a.assessed) return FeeStatus.Unassessed;
        uint64 net = a.paidFen - a.refundedFen;
        if (a.dueFen == 0) return net == 0 ? FeeStatus.Exempt : FeeStatus.Overpaid;
        if (net == 0) return FeeStatus.Assessed;
        if (net < a.dueFen) return FeeStatus.PartiallyPaid;
        if (net == a.dueFen) return FeeStatus.Paid;
        return FeeStatus.Overpaid;
    }
}
