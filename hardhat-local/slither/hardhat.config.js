// The Hardhat project Slither reads (`make slither`): crytic-compile finds it by this file and reads
// ../artifacts/slither/build-info, which ../compile.js writes in Hardhat's format during `make
// check-artifacts` (one compile for both). `npx hardhat compile` here still compiles the same way for
// Slither by hand; ledger/chain/artifacts come from ../compile.js only. Hardhat refuses sources outside its root, so
// `contracts` here is a symlink to the repository's contracts/. The compiler is the pinned npm
// solcjs (never a download): TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD is overridden to use it.
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");
const solc = require("solc");

const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version().replace(".Emscripten.clang", ""),
  };
});

module.exports = {
  // The same settings as ../compile.js.
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 1000 },
      viaIR: true,
      evmVersion: "cancun",
      metadata: { bytecodeHash: "none" },
    },
  },
  // Build output in ../cache and ../artifacts, which git already ignores.
  paths: { sources: "./contracts", cache: "../cache/slither", artifacts: "../artifacts/slither" },
};
