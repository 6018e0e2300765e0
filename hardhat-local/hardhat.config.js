// The local development chain. Contracts are compiled by compile.js (pinned solcjs),
// not by Hardhat, so nothing here downloads a compiler.
//
// Development accounts come from Hardhat's well-known development mnemonic
// ("test test test test test test test test test test test junk"). These keys are public;
// they must never hold anything of value and are refused outside development.
module.exports = {
  paths: { sources: "./no-sources", cache: "./cache", artifacts: "./artifacts" },
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: "cancun",
      blockGasLimit: 60_000_000,
      accounts: { mnemonic: "test test test test test test test test test test test junk", count: 10 },
      mining: { auto: true },
      // Tests start a node whose clock runs behind the wall clock (anvil: evm_setTime).
      ...(process.env.LEDGER_HARDHAT_INITIAL_DATE ? { initialDate: process.env.LEDGER_HARDHAT_INITIAL_DATE } : {}),
    },
  },
};
