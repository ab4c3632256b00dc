import typescript from '@rollup/plugin-typescript';

// The CLI, the toolchain and hypervisor library entries, and the benchmarks; dependencies stay external
// (installed by npm). The vCPU worker is its own entry: the VM starts dist/vcpu-worker.js in each Worker.
export default {
  input: { pvrt: 'toolchain/src/pvrt.ts', index: 'toolchain/src/index.ts', hypervisor: 'hypervisor/index.ts', 'vcpu-worker': 'hypervisor/vcpu/worker.ts', 'bench-cpu': 'bench/cpu.ts', 'bench-hypervisor': 'bench/hypervisor.ts' },
  output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
  external: (id) => id.startsWith('node:') || /^(ajv|handlebars|jsonc-parser)(\/|$)/.test(id),
  plugins: [typescript({ tsconfig: './tsconfig.build.json' })],
};
