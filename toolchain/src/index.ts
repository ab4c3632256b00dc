/** The pvrt library entry: the spec loader and the generators, for programs and tests. */
export { PvrtError, formatProblem, type Problem } from './errors.js';
export { loadSpec, archOf, type SpecBundle } from './spec/load.js';
export type { ArchSpec, InterfaceSpec, HypercallDef } from './spec/model.js';
export { planRegisters } from './spec/abi.js';
export { computeLayout } from './spec/layout.js';
export { generateBsp } from './gen/bsp.js';
export { generateHypervisor } from './gen/hypervisor.js';
export { generateDocs } from './gen/docs.js';
export { main as cli } from './cli.js';
