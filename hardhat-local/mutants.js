// The pinned solc (solcjs, as compile.js) for the mutation run (devtools/mutate):
//   node mutants.js ast <sources-dir>                 the compiler's own AST of every .sol there (JSON on stdout)
//   node mutants.js compile <sources-dir> <Contract> <out.json>
//                                                      compile only <Contract>.sol (and what it imports) with
//                                                      compile.js's settings; writes {abi, bytecode, deployedBytecode}
// Exit 2 with the compiler's messages on stderr when the source does not compile.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const SETTINGS = {
  optimizer: { enabled: true, runs: 1000 },
  viaIR: true,
  evmVersion: "cancun",
  metadata: { bytecodeHash: "none" },
};

function importer(sourcesDir) {
  return (importPath) => {
    const candidates = [
      path.join(__dirname, "node_modules", importPath),
      path.join(sourcesDir, path.basename(importPath)),
    ];
    for (const file of candidates) {
      if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
    }
    return { error: `not found: ${importPath}` };
  };
}

function run(sourcesDir, names, outputSelection) {
  const sources = {};
  for (const name of names) {
    sources[`contracts/${name}`] = { content: fs.readFileSync(path.join(sourcesDir, name), "utf8") };
  }
  const input = { language: "Solidity", sources, settings: { ...SETTINGS, outputSelection } };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: importer(sourcesDir) }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    for (const e of errors) console.error(e.formattedMessage);
    process.exit(2);
  }
  return output;
}

const [command, sourcesDir, contract, out] = process.argv.slice(2);
if (command === "ast") {
  const names = fs.readdirSync(sourcesDir).filter((f) => f.endsWith(".sol")).sort();
  const output = run(sourcesDir, names, { "*": { "": ["ast"] } });
  const asts = {};
  for (const name of names) asts[name] = output.sources[`contracts/${name}`].ast;
  process.stdout.write(JSON.stringify(asts));
} else if (command === "compile") {
  const output = run(sourcesDir, [`${contract}.sol`], {
    [`contracts/${contract}.sol`]: { [contract]: ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  });
  const c = output.contracts[`contracts/${contract}.sol`][contract];
  fs.writeFileSync(
    out,
    JSON.stringify({
      contractName: contract,
      abi: c.abi,
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    })
  );
} else {
  console.error("usage: node mutants.js ast <sources-dir> | compile <sources-dir> <Contract> <out.json>");
  process.exit(64);
}
